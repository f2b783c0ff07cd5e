"""Indonesian word lists."""

STOP_WORDS = frozenset("""
yang dan di ke dari untuk dengan pada ini itu tidak akan telah dalam adalah oleh juga kata bahwa
karena sebagai atau mereka kami kita saat sudah lebih ia dia nya para sebuah se tersebut serta
bagi antara hal ada dapat bisa menjadi namun tetapi jika maka pun lalu kepada secara setelah
""".split())

# Question words, with the emphatic -kah forms (siapakah, kapankah...) people also write.
_QUESTION_STEMS = "apa siapa kapan dimana mana berapa mengapa kenapa bagaimana manakah apakah".split()
QUESTION_WORDS = frozenset(_QUESTION_STEMS + [w + "kah" for w in _QUESTION_STEMS if not w.endswith("kah")])

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "november": 11, "nopember": 11, "nov": 11, "desember": 12, "des": 12,
}
WEEKDAYS = {"senin": 1, "selasa": 2, "rabu": 3, "kamis": 4, "jumat": 5, "jum'at": 5, "sabtu": 6, "minggu": 7}
MONTH_NAMES = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
               "Oktober", "November", "Desember"]

# The most frequent Indonesian function words: counted to tell Indonesian text from English.
FUNCTION_WORDS = frozenset("""
yang dan di ke dari untuk dengan pada ini itu tidak akan telah dalam adalah oleh juga kata bahwa
karena sebagai atau mereka kami saat sudah lebih apa siapa kapan mana dimana berapa mengapa bagaimana apakah
""".split())

# Words that only make sense after an earlier message: personal pronouns, and references to a
# place, time or thing mentioned before.
PERSONAL_PRONOUNS = frozenset("dia ia beliau mereka".split())
REFERRING_WORDS = frozenset(["di sana", "ke sana", "dari sana", "saat itu", "waktu itu", "tersebut"])
# Words ending in -nya where -nya is part of the word, not "his/her/its".
NYA_WORDS = frozenset("hanya punya bertanya tanya menanyakan nyanyi bernyanyi penyanyi sesungguhnya".split())
# Openings that continue the previous question ("Dan ...?", "Bagaimana dengan ...?").
CONTINUATIONS = ("dan ", "lalu ", "terus ", "kemudian ", "bagaimana dengan ", "kalau ")

# How a question bounds time around a date it names ("sejak Juli", "antara Juli dan Oktober").
TIME_SINCE = frozenset(["sejak", "semenjak", "mulai", "dari"])
TIME_AFTER = frozenset(["setelah", "sesudah", "seusai"])
TIME_BEFORE = frozenset(["sebelum"])
TIME_UNTIL = frozenset(["hingga", "sampai", "sampai dengan"])
TIME_RANGE_OPEN = frozenset(["antara", "dari", "sejak"])
TIME_RANGE_JOIN = frozenset(["dan", "hingga", "sampai", "ke", "-", "–"])

# Numbers written as words, and how a figure is qualified ("lebih dari 1.000" is not "1.000").
NUMBER_WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8,
                "sembilan": 9, "sepuluh": 10, "seratus": 100, "seribu": 1000}
QUALIFIERS = {"more": frozenset(["lebih dari", "di atas", "setidaknya", "sedikitnya", "minimal"]),
              "less": frozenset(["kurang dari", "di bawah"]),
              "about": frozenset(["sekitar", "hampir", "kira-kira", "kurang lebih"])}
