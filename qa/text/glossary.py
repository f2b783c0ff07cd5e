"""A small English -> Indonesian news glossary.

English questions over Indonesian articles share names with them but few other words. This
glossary of general news vocabulary (countries, institutions, titles, calendar words and
common verbs and nouns of political and conflict reporting) lets the lexical side and the
answer checks see "White House" in "Gedung Putih". It is deliberately generic: it knows news
language, not any particular corpus.
"""

from __future__ import annotations

from functools import lru_cache

from qa.text.normalize import fold

_GLOSSARY = """
monday: senin | tuesday: selasa | wednesday: rabu | thursday: kamis | friday: jumat | saturday: sabtu
sunday: minggu | january: januari | february: februari | march: maret | april: april | may: mei
june: juni | july: juli | august: agustus | september: september | october: oktober
november: november | december: desember | week: minggu/pekan | month: bulan | year: tahun | day: hari
morning: pagi | evening: malam | night: malam | today: hari ini | yesterday: kemarin
us: as/amerika | usa: as/amerika | america: amerika/as | american: amerika/as | united states: amerika serikat/as
russia: rusia | russian: rusia | china: china/tiongkok/cina | chinese: china/tiongkok/cina
japan: jepang | japanese: jepang | north korea: korea utara | south korea: korea selatan
north korean: korea utara | south korean: korea selatan | korean: korea | ukraine: ukraina
ukrainian: ukraina | germany: jerman | german: jerman | france: prancis/perancis | french: prancis/perancis
britain: inggris | british: inggris | uk: inggris | england: inggris | netherlands: belanda | dutch: belanda
europe: eropa | european: eropa | syria: suriah | turkey: turki | egypt: mesir | saudi arabia: arab saudi
singapore: singapura | philippines: filipina | moscow: moskow/moskwa | kyiv: kyiv/kiev
white house: gedung putih | united nations: pbb | un: pbb | security council: dewan keamanan
soviet union: uni soviet | cold war: perang dingin | cosmodrome: kosmodrom | far east: timur jauh
east: timur | west: barat | north: utara | south: selatan | president: presiden | minister: menteri
foreign minister: menteri luar negeri/menlu | defence minister: menteri pertahanan
defense minister: menteri pertahanan | leader: pemimpin | ambassador: duta besar
spokesman: juru bicara | spokesperson: juru bicara | professor: profesor | government: pemerintah
ministry: kementerian | foreign ministry: kementerian luar negeri | state media: media pemerintah
news agency: kantor berita | analyst: analis | analysts: analis | army: tentara/militer
soldiers: tentara/pasukan | troops: pasukan/tentara | military: militer | weapons: senjata | weapon: senjata
arms: senjata | ammunition: amunisi | missile: rudal | missiles: rudal | ballistic: balistik
nuclear: nuklir | bomber: pembom | artillery: artileri | shells: peluru | containers: kontainer
container: kontainer | equipment: peralatan | war: perang | attack: serangan | strike: serangan
killed: tewas/menewaskan | died: tewas | wounded: terluka | civilians: warga sipil | hospital: rumah sakit
border: perbatasan | train: kereta | railway: kereta api | flights: penerbangan | flight: penerbangan
airport: bandara | port: pelabuhan | city: kota | coast: pantai/pesisir | exhibition: pameran
anniversary: peringatan | victory: kemenangan | visit: kunjungan/mengunjungi/berkunjung
visited: mengunjungi/berkunjung | arrive: tiba | arrived: tiba | met: bertemu | meet: bertemu
meeting: pertemuan | talks: pembicaraan/perundingan | summit: ktt/pertemuan puncak
agreement: perjanjian/kesepakatan | treaty: perjanjian | sanctions: sanksi | support: dukungan/mendukung
relations: hubungan | cooperation: kerja sama | alliance: aliansi | letter: surat | speech: pidato
said: mengatakan/kata | says: mengatakan/kata | claimed: mengklaim | denied: membantah/menyangkal
accused: menuduh | sent: mengirim/mengirimkan | send: mengirim | supplied: memasok | deployed: mengerahkan
signed: menandatangani | invited: mengundang/undangan | praised: memuji | thanked: berterima kasih
election: pemilu/pemilihan | economy: ekonomi | price: harga | cost: biaya/harga | population: penduduk
wife: istri | husband: suami | son: putra | daughter: putri | tickets: tiket | ticket: tiket
first: pertama | second: kedua | tank: tank | tanks: tank | football: sepak bola | match: pertandingan
beach: pantai | resort: resor | population: penduduk | independence: kemerdekaan | regions: wilayah
region: wilayah | shipped: dikirim | sea: laut | satellite: satelit | images: gambar | video: video
"""


@lru_cache(maxsize=1)
def glossary() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """English phrase (folded tokens) -> the Indonesian phrases it may appear as."""
    table: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for entry in _GLOSSARY.replace("\n", "|").split("|"):
        if ":" not in entry:
            continue
        english, indonesian = entry.split(":", 1)
        table[tuple(fold(english).split())] = tuple(tuple(fold(alt).split()) for alt in indonesian.split("/"))
    return table


def _scan(tokens: list[str]) -> list[tuple[str, ...]]:
    """``tokens`` cut into units, longest glossary phrase first; other words stand alone."""
    table = glossary()
    units, i = [], 0
    while i < len(tokens):
        length = next((n for n in (3, 2, 1) if tuple(tokens[i:i + n]) in table and i + n <= len(tokens)), 1)
        units.append(tuple(tokens[i:i + length]))
        i += length
    return units


def phrases(tokens: list[str]) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Glossary phrases found in ``tokens`` (longest match first), with their translations."""
    table = glossary()
    return [(unit, table[unit]) for unit in _scan(tokens) if unit in table]


def segment(tokens: list[str]) -> list[str]:
    """``tokens`` with multi-word glossary phrases joined into one unit ("north korea")."""
    return [" ".join(unit) for unit in _scan(tokens)]


def expand_query(tokens: list[str]) -> list[str]:
    """``tokens`` plus every word of the Indonesian renderings of the glossary phrases in them."""
    extra = [word for _, alts in phrases(tokens) for alt in alts for word in alt]
    return tokens + [w for w in dict.fromkeys(extra) if w not in tokens]


def alternatives(term: str) -> list[tuple[str, ...]]:
    """Ways a (possibly multi-word) English ``term`` may be written: itself, then translations."""
    key = tuple(term.split())
    return [key, *[alt for alt in glossary().get(key, ()) if alt != key]]
