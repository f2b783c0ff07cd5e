"""English word lists."""

STOP_WORDS = frozenset("""
the a an and or of to in on at for with by from as is are was were be been being it its this that
these those not no will would has have had do does did there their they them he she his her we our
you your i me my also than then so such into about
""".split())

QUESTION_WORDS = frozenset("what who whom whose when where which why how".split())

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7}
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"]

FUNCTION_WORDS = frozenset("""
the and of to in for with on this that not will has have is are was were by also said from as or
they we at be it an what who when where which why how did does do about
""".split())

PERSONAL_PRONOUNS = frozenset("he she they him her them his hers their theirs".split())
REFERRING_WORDS = frozenset(["it", "its", "there", "then", "the same"])
CONTINUATIONS = ("and ", "what about ", "how about ", "and what about ", "also ")

# How a question bounds time around a date it names ("since July", "between July and October").
TIME_SINCE = frozenset(["since", "from", "starting"])
TIME_AFTER = frozenset(["after"])
TIME_BEFORE = frozenset(["before", "prior to"])
TIME_UNTIL = frozenset(["until", "till", "through", "up to"])
TIME_RANGE_OPEN = frozenset(["between", "from"])
TIME_RANGE_JOIN = frozenset(["and", "to", "until", "till", "through", "-", "–"])

# Numbers written as words, and how a figure is qualified ("more than 1,000" is not "1,000").
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "hundred": 100, "thousand": 1000}
QUALIFIERS = {"more": frozenset(["more than", "over", "above", "at least"]),
              "less": frozenset(["less than", "fewer than", "under", "below"]),
              "about": frozenset(["about", "around", "nearly", "almost", "roughly", "some"])}
