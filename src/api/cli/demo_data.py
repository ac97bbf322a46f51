"""Believable, reproducible demo data: organisations, people and three years of their journeys.

`generate(scale, seed)` builds `Customer` aggregates in memory (pending events, no I/O), always
the same ones for the same seed: ids, names and every fact come from `random.Random(seed)` and a
seeded `Faker("fi_FI")`, and business times are laid out before a fixed reference date.
`save_customers` stores them in chunks (one transaction per chunk) after claiming each one's
registration key and e-mail blind index, and `load_demo` adds the demo users on top.

At scale 1.0: about 300 organisations and 3,000 people. The same generator scaled up feeds the
benchmarks (scale 15 is about 50,000 customers and a million events).
"""

from __future__ import annotations

import bisect
import os
import random
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from queue import Full, Queue
from typing import Any
from uuid import UUID

from faker import Faker
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from api.bootstrap.wiring import Services
from crm.application.crm import CRM
from crm.application.users import Role, UserExistsError
from crm.domain import events as ev
from crm.domain.calendar import HELSINKI
from crm.domain.customer import Customer, Provenance
from crm.domain.errors import OfferingExistsError
from crm.domain.offering import OfferingTerms
from crm.domain.partner_tier import PartnerTierExistsError, TierTerms
from crm.domain.vocabulary import PARTNER_BENEFITS, REVIEW_OUTCOMES

REFERENCE = datetime(2026, 11, 1, tzinfo=HELSINKI)
"""Every demo fact happens in the three years before this moment (never 'now')."""
START = datetime(2023, 11, 1, tzinfo=HELSINKI)
SPAN_DAYS = (REFERENCE - START).days
LAST_DAY = SPAN_DAYS - 1

ORGANISATIONS_PER_SCALE = 300
PEOPLE_PER_SCALE = 3000
CHUNK_SIZE = 200

ACCOUNT_MANAGERS = ("anna.am", "jussi.am", "leena.am")
AM_WEIGHTS = (50, 28, 22)
DEMO_USERS: dict[str, Role] = {
    "anna.am": Role.ACCOUNT_MANAGER,
    "jussi.am": Role.ACCOUNT_MANAGER,
    "leena.am": Role.ACCOUNT_MANAGER,
    "mikko.marketing": Role.MARKETING,
    "dora.dpo": Role.DPO,
    "fiona.finance": Role.FINANCE,
    "aino.admin": Role.ADMIN,
}

INSTITUTIONS = ("TAMK", "TTY", "TaY", "joint")
INSTITUTION_WEIGHTS = (35, 25, 25, 15)

PRIVATE_SECTORS = (
    "ICT",
    "manufacturing",
    "health",
    "construction",
    "energy",
    "retail",
    "logistics",
    "finance",
    "creative industries",
    "education",
)
PRIVATE_SECTOR_WEIGHTS = (22, 20, 10, 10, 8, 9, 7, 5, 5, 4)
PUBLIC_ORGANISATIONS = (
    ("Tampereen kaupunki", "public administration"),
    ("Nokian kaupunki", "public administration"),
    ("Ylöjärven kaupunki", "public administration"),
    ("Kangasalan kaupunki", "public administration"),
    ("Valkeakosken kaupunki", "public administration"),
    ("Sastamalan kaupunki", "public administration"),
    ("Pirkkalan kunta", "public administration"),
    ("Lempäälän kunta", "public administration"),
    ("Oriveden kaupunki", "public administration"),
    ("Pirkanmaan liitto", "public administration"),
    ("Pirkanmaan ELY-keskus", "public administration"),
    ("Verohallinto, Tampereen toimipiste", "public administration"),
    ("Kela, Pirkanmaan vakuutuspiiri", "public administration"),
    ("Pirkanmaan hyvinvointialue", "health"),
    ("Tays, Tampereen yliopistollinen sairaala", "health"),
    ("Tampereen seudun ammattiopisto Tredu", "education"),
    ("Sasky koulutuskuntayhtymä", "education"),
    ("Pirkanmaan pelastuslaitos", "public administration"),
    ("Tampereen Sähkölaitos", "energy"),
    ("Tampereen Infra", "construction"),
)
PUBLIC_UNITS = (
    "",
    "sivistyspalvelut",
    "tekninen toimiala",
    "henkilöstöpalvelut",
    "tietohallinto",
    "kehittämisyksikkö",
    "talouspalvelut",
    "sosiaali- ja terveyspalvelut",
)
ROLES_BY_SECTOR: dict[str, tuple[str, ...]] = {
    "ICT": ("ohjelmistokehittäjä", "tiiminvetäjä", "IT-arkkitehti", "teknologiajohtaja"),
    "manufacturing": ("tuotantopäällikkö", "laatuinsinööri", "työnjohtaja", "kehitysinsinööri"),
    "health": ("sairaanhoitaja", "osastonhoitaja", "fysioterapeutti", "ylilääkäri"),
    "education": ("opettaja", "rehtori", "koulutussuunnittelija", "opinto-ohjaaja"),
    "public administration": ("suunnittelija", "hallintopäällikkö", "asiantuntija", "johtaja"),
    "construction": ("vastaava työnjohtaja", "projekti-insinööri", "aluepäällikkö"),
    "energy": ("verkkoinsinööri", "kehityspäällikkö", "asiantuntija"),
    "retail": ("myymäläpäällikkö", "ostopäällikkö", "markkinointipäällikkö"),
    "logistics": ("logistiikkapäällikkö", "varastoesihenkilö", "kuljetussuunnittelija"),
    "finance": ("controller", "talouspäällikkö", "asiakkuuspäällikkö"),
    "creative industries": ("graafikko", "tuottaja", "luova johtaja"),
}
COMMON_ROLES = ("HR-asiantuntija", "henkilöstöpäällikkö", "toimitusjohtaja", "projektipäällikkö")
PERSONAL_MAIL_DOMAINS = ("gmail.com", "outlook.com", "hotmail.fi", "elisanet.fi", "kolumbus.fi")

# name, offering type, price range in EUR (low, high, step)
OFFERINGS: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    ("Projektinhallinnan perusteet", "open_training", (190, 690, 10)),
    ("Tekoäly työelämässä", "open_training", (90, 390, 10)),
    ("Johtamisen erikoistumiskoulutus", "open_training", (1900, 4900, 100)),
    ("Python-ohjelmoinnin perusteet", "open_training", (120, 450, 10)),
    ("Kestävä kehitys ja kiertotalous", "open_training", (150, 520, 10)),
    ("Hoitotyön täydennyskoulutus", "open_training", (240, 980, 20)),
    ("Avoin AMK: liiketalouden opinnot", "open_training", (75, 300, 15)),
    ("Avoin yliopisto: kasvatustiede", "open_training", (60, 240, 15)),
    ("Lean-koulutus tuotantoon", "company_training", (4500, 28000, 500)),
    ("Kyberturvallisuus yrityksille", "company_training", (3000, 18000, 500)),
    ("Esihenkilövalmennus", "company_training", (6000, 45000, 1000)),
    ("Työhyvinvointi ja palautuminen", "company_training", (2500, 12000, 250)),
    ("Digitaaliset palvelut julkishallinnossa", "company_training", (5000, 36000, 1000)),
    ("Uravalmennus", "coaching", (300, 2400, 50)),
    ("Työyhteisövalmennus", "coaching", (2000, 15000, 500)),
    ("Johtajuuscoaching", "coaching", (900, 6500, 100)),
    ("Urasuunnittelun ohjaus", "career_guidance", (120, 600, 20)),
    ("Osaamiskartoitus", "career_guidance", (150, 900, 50)),
    ("Digimentorointi", "mentoring", (250, 1800, 50)),
    ("Digimentor-ohjelma pk-yrityksille", "mentoring", (1200, 6000, 100)),
    ("Tuotekehityksen konsultointi", "consulting", (2500, 38000, 500)),
    ("Digitalisaatiokartoitus", "consulting", (1500, 14000, 250)),
    ("Energiatehokkuusselvitys", "consulting", (3000, 22000, 500)),
    ("Materiaalitestaus", "research_service", (1800, 24000, 200)),
    ("Tutkimusyhteistyöhanke", "research_service", (15000, 160000, 5000)),
    ("Käytettävyystutkimus", "research_service", (4000, 30000, 500)),
)
# The provider's catalogue: Finnish name (as in OFFERINGS) -> code, English name, institution,
# list price in EUR, credits. The last entries are sold in the catalogue but not in the demo's
# purchases.
CATALOGUE: dict[str, tuple[str, str, str, int, str | None]] = {
    "Projektinhallinnan perusteet": ("TAMK-PM-01", "Project management basics", "TAMK", 490, "5"),
    "Tekoäly työelämässä": ("TTY-AI-01", "AI at work", "TTY", 290, "3"),
    "Johtamisen erikoistumiskoulutus": (
        "TAY-JOHT-30",
        "Specialisation in leadership",
        "TaY",
        3900,
        "30",
    ),
    "Python-ohjelmoinnin perusteet": ("TTY-PY-01", "Python programming basics", "TTY", 350, "5"),
    "Kestävä kehitys ja kiertotalous": (
        "TAY-KEST-01",
        "Sustainability and circular economy",
        "TaY",
        390,
        "5",
    ),
    "Hoitotyön täydennyskoulutus": ("TAMK-HOI-10", "Nursing further training", "TAMK", 780, "10"),
    "Avoin AMK: liiketalouden opinnot": (
        "TAMK-AVO-LT",
        "Open UAS: business studies",
        "TAMK",
        225,
        "15",
    ),
    "Avoin yliopisto: kasvatustiede": (
        "TAY-AVO-KT",
        "Open university: education",
        "TaY",
        180,
        "25",
    ),
    "Lean-koulutus tuotantoon": ("TTY-LEAN-YR", "Lean for production", "TTY", 16000, None),
    "Kyberturvallisuus yrityksille": (
        "TTY-KYBER-YR",
        "Cyber security for companies",
        "TTY",
        9000,
        None,
    ),
    "Esihenkilövalmennus": ("TAMK-ESI-YR", "Supervisor training", "TAMK", 24000, None),
    "Työhyvinvointi ja palautuminen": (
        "TAMK-TYHY-YR",
        "Wellbeing at work and recovery",
        "TAMK",
        6000,
        None,
    ),
    "Digitaaliset palvelut julkishallinnossa": (
        "TAY-DIGI-JH",
        "Digital services in public administration",
        "TaY",
        20000,
        None,
    ),
    "Uravalmennus": ("JOINT-URA-VAL", "Career coaching (personal)", "joint", 1200, None),
    "Työyhteisövalmennus": (
        "JOINT-TYV-RYH",
        "Work community coaching (group)",
        "joint",
        8000,
        None,
    ),
    "Johtajuuscoaching": ("TAY-COACH-JOHT", "Leadership coaching", "TaY", 3500, None),
    "Urasuunnittelun ohjaus": ("JOINT-URA-OHJ", "Career guidance", "joint", 360, None),
    "Osaamiskartoitus": ("JOINT-OSAAMIS", "Competence mapping", "joint", 500, None),
    "Digimentorointi": ("JOINT-DIGIMENTOR", "Digimentor mentoring", "joint", 900, None),
    "Digi Fellow -työpaja": ("JOINT-DIGIFELLOW-TYOPAJA", "Digi Fellow workshop", "joint", 0, None),
    "Digi Fellow -seminaari": (
        "JOINT-DIGIFELLOW-SEMINAARI",
        "Digi Fellow seminar",
        "joint",
        0,
        None,
    ),
    "Kumppanien kohdennettu koulutus: tekoäly": (
        "JOINT-KUMPPANI-AI",
        "Targeted training for partners: AI",
        "joint",
        0,
        None,
    ),
    "Digimentor-ohjelma pk-yrityksille": (
        "JOINT-DIGIMENTOR-PK",
        "Digimentor programme for SMEs",
        "joint",
        3600,
        None,
    ),
    "Tuotekehityksen konsultointi": (
        "TTY-TK-KONS",
        "Product development consulting",
        "TTY",
        18000,
        None,
    ),
    "Digitalisaatiokartoitus": ("TAMK-DIGI-KART", "Digitalisation survey", "TAMK", 7500, None),
    "Energiatehokkuusselvitys": ("TTY-ENERGIA", "Energy efficiency study", "TTY", 12000, None),
    "Materiaalitestaus": ("TTY-MATTEST", "Materials testing", "TTY", 9000, None),
    "Tutkimusyhteistyöhanke": ("TAY-TUTK-YHT", "Joint research project", "TaY", 80000, None),
    "Käytettävyystutkimus": ("TAY-KAYT-TUTK", "Usability study", "TaY", 15000, None),
    "Thomas-henkilöanalyysi": (
        "JOINT-THOMAS-PPA",
        "Thomas personal profile analysis",
        "joint",
        390,
        None,
    ),
    "Thomas-tiimianalyysi": ("JOINT-THOMAS-TEAM", "Thomas team analysis", "joint", 1900, None),
    "Henkilökohtainen valmennus": ("JOINT-COACH-HKL", "Personal coaching", "joint", 1500, None),
    "Ryhmävalmennus": ("JOINT-COACH-RYH", "Group coaching", "joint", 4500, None),
    "HR-konsultointi": ("TAMK-HR-KONS", "HR consulting", "TAMK", 6500, None),
    "Tutkimuspalvelu: kyselytutkimus": (
        "TAY-TUTK-KYS",
        "Research service: survey study",
        "TaY",
        11000,
        None,
    ),
}
EXTRA_CATALOGUE_TYPES = {
    "Thomas-henkilöanalyysi": "career_guidance",
    "Thomas-tiimianalyysi": "career_guidance",
    "Henkilökohtainen valmennus": "coaching",
    "Ryhmävalmennus": "coaching",
    "HR-konsultointi": "consulting",
    "Tutkimuspalvelu: kyselytutkimus": "research_service",
    "Digi Fellow -työpaja": "company_training",
    "Digi Fellow -seminaari": "company_training",
    "Kumppanien kohdennettu koulutus: tekoäly": "company_training",
}
"""Offering types of the catalogue entries the demo's purchases do not use."""
PARTNER_TIERS: dict[str, TierTerms] = {
    "free": TierTerms(
        "Kumppani (maksuton)", "Partner (free)", Decimal(0), ("partner_search",), None
    ),
    "paid": TierTerms(
        "Kumppani (maksullinen)",
        "Partner (paid)",
        Decimal(2500),
        ("programme_discount", "targeted_training", "visibility", "partner_search"),
        Decimal(15),
    ),
}
"""The demo's partner tiers, entered in the tier catalogue by the demo administrator."""
DIGI_FELLOW_EVENTS = ("JOINT-DIGIFELLOW-TYOPAJA", "JOINT-DIGIFELLOW-SEMINAARI")
TARGETED_TRAININGS = ("JOINT-KUMPPANI-AI",)


def catalogue_entries() -> Iterator[tuple[str, OfferingTerms]]:
    """The demo catalogue as (code, terms)."""
    types = {name: offering_type for name, offering_type, _ in OFFERINGS}
    types.update(EXTRA_CATALOGUE_TYPES)
    for name_fi, (code, name_en, institution, price, credits) in CATALOGUE.items():
        yield (
            code,
            OfferingTerms(
                name_fi,
                name_en,
                types[name_fi],
                institution,
                Decimal(price),
                Decimal(credits) if credits else None,
            ),
        )


PERSON_OFFERING_TYPES = ("open_training", "coaching", "career_guidance", "mentoring")
ORGANISATION_OFFERING_TYPES = (
    "company_training",
    "consulting",
    "research_service",
    "coaching",
    "mentoring",
)

FAIRS = (  # name, month, day
    ("Studia-messut", 12, 3),
    ("Educa-messut", 1, 26),
    ("Alihankinta-messut", 9, 24),
    ("Tampereen Rekrymessut", 3, 12),
    ("Kuntamarkkinat", 9, 10),
    ("Kasvu Open -tapahtuma", 5, 14),
)
OWN_EVENTS = (
    ("Tampere3 Yritysaamiainen", "event"),
    ("Tekoälypäivä", "seminar"),
    ("Jatkuvan oppimisen foorumi", "seminar"),
    ("Avoimet ovet -päivä", "event"),
    ("Kokeile korkeakouluopintoja", "taster_session"),
    ("Digimentor-starttipäivä", "training"),
    ("Kiertotalousseminaari", "seminar"),
    ("Johtamisen iltapäivä", "training"),
)
DIGIMENTOR_EVENTS = (  # name, format
    ("Digimentorien kevättyöpaja", "digimentor_workshop"),
    ("Tekoäly työssä -työpaja digimentoreille", "digimentor_workshop"),
    ("Digimentoriseminaari", "digimentor_seminar"),
    ("Datatalous-seminaari digimentoreille", "digimentor_seminar"),
    ("Digimentorin yritystapaaminen", "digimentor_company_meeting"),
)
DIGIMENTOR_SHARE = 0.12
"""Of people who act for an organisation, the share named its digimentor."""
THIRD_PARTY_EVENTS = (
    ("Slush", "event"),
    ("Tampereen kauppakamarin jäsenilta", "event"),
    ("Teknologiateollisuuden koulutuspäivä", "seminar"),
    ("SOTE-päivät", "seminar"),
    ("Pirkanmaan yrittäjien kevätseminaari", "seminar"),
)
WEBINAR_TOPICS = (
    "Tekoäly asiantuntijatyössä",
    "Näin rahoitat henkilöstön osaamisen kehittämisen",
    "Avoimen AMK:n opinnot tutuiksi",
    "Kyberturvallisuuden perusteet pk-yrityksille",
    "Uravalinnat keski-iässä",
    "Vastuullinen johtaminen",
    "Datalla johtaminen julkisella sektorilla",
    "Kiertotalous teollisuudessa",
    "Hyvinvoiva työyhteisö",
    "Tutkimusyhteistyö yritysten kanssa",
)
CAMPAIGN_NAMES = (
    "Kevään avoimet koulutukset",
    "Syksyn täydennyskoulutukset",
    "Yrityksille räätälöidyt koulutukset",
    "Digimentor-haku auki",
    "Tutkimuspalvelut kumppaneille",
    "Uraohjauksen kampanja",
)
NEWSLETTERS = ("Jatkuvan oppimisen uutiskirje", "Tampere3 Yritysuutiset")
TARGET_GROUPS_ORG = (
    "pk-yritysten johto",
    "julkisen sektorin esihenkilöt",
    "teollisuuden työnjohto",
    "HR-ammattilaiset",
    "ICT-yritykset",
)
TARGET_GROUPS_PERSON = (
    "uranvaihtajat",
    "ICT-ammattilaiset",
    "sosiaali- ja terveysalan ammattilaiset",
    "opettajat ja kouluttajat",
    "työttömät työnhakijat",
)
LEAD_SOURCES = (
    "fair",
    "web_service",
    "webinar",
    "social_media",
    "company_visit",
    "phone",
    "own_event",
    "third_party_event",
    "chat",
)
LEAD_LOST_REASONS = (
    "ei budjettia tälle vuodelle",
    "valitsi toisen kouluttajan",
    "ajankohta ei sopinut",
    "ei vastausta yhteydenottoihin",
    "tarve poistui organisaatiomuutoksessa",
)
REFUND_REASONS = (
    "peruutus ennen koulutuksen alkua",
    "osallistuja sairastui",
    "hyvitys toteutuneen laajuuden mukaan",
    "laskutusvirhe",
)
VISIT_TOPICS = (
    "henkilöstön osaamistarpeet",
    "koulutussuunnitelma ensi vuodelle",
    "tutkimusyhteistyön mahdollisuudet",
    "kumppanuusjäsenyys",
    "harjoittelijat ja opinnäytetyöt",
    "digitalisaatiohanke",
)
CALL_TOPICS = (
    "koulutustarjonta",
    "tarjouspyyntö",
    "laskutus",
    "ilmoittautuminen",
    "uraohjaus",
    "yhteistyöehdotus",
)
CHAT_TOPICS = (
    "ilmoittautuminen avoimeen koulutukseen",
    "hinnat ja maksut",
    "opintojen aikataulu",
    "todistus ja opintopisteet",
    "yrityskoulutuksen tarjouspyyntö",
)
WEB_PAGES = (
    "/koulutukset/avoimet",
    "/koulutukset/yrityksille",
    "/tutkimuspalvelut",
    "/kumppanuus",
    "/uraohjaus",
    "/tapahtumat",
    "/digimentor",
    "/yhteystiedot",
)
SOCIAL_PLATFORMS = ("LinkedIn", "Facebook", "Instagram", "YouTube", "X")
SOCIAL_INTERACTIONS = ("tykkäys", "kommentti", "jako", "yksityisviesti", "seuraaminen")
CONSENT_EVIDENCE = (
    "verkkopalvelun tilauslomake",
    "messujen arvontalomake",
    "webinaari-ilmoittautumisen valintaruutu",
    "sähköpostivahvistus (double opt-in)",
    "asiakastapaamisen allekirjoitettu suostumus",
)
WITHDRAWAL_EVIDENCE = (
    "peruutuslinkki sähköpostissa",
    "asiakkaan puhelinpyyntö",
    "verkkopalvelun omat tiedot",
)
MEMBERSHIP_END_REASONS = ("yhteistyö päättyi", "organisaatiomuutos", "ei tarvetta jäsenyydelle")
NOTES = (
    "Kiinnostunut johtamiskoulutuksesta syksyllä.",
    "Pyysi tarjouksen kymmenelle osallistujalle.",
    "Palataan asiaan budjettikierroksen jälkeen.",
    "Toivoo koulutusta englanniksi.",
    "Sovittiin seuraava tapaaminen kuukauden päähän.",
    "Hyvä keskustelu, lähetetään materiaalit.",
    "Kysyi opintojen rahoitusmahdollisuuksista.",
)
POSITIVE_COMMENTS = (
    "Erittäin hyödyllinen ja käytännönläheinen koulutus.",
    "Kouluttaja oli asiantunteva ja innostava.",
    "Sain paljon uusia ideoita omaan työhöni.",
    "Hyvin järjestetty, suosittelen kollegoille.",
    "Selkeät materiaalit ja hyvä tahti.",
)
NEUTRAL_COMMENTS = (
    "Sisältö oli ok, mutta osin liian teoreettinen.",
    "Aikataulu oli hieman tiukka.",
    "Verkkoympäristössä oli alussa ongelmia.",
)
NEGATIVE_COMMENTS = (
    "Odotin enemmän käytännön esimerkkejä.",
    "Tila oli liian ahdas ja ääni kuului huonosti.",
    "Koulutus ei vastannut kuvausta.",
)
SCORE_WEIGHTS = (1, 1, 1, 2, 2, 4, 6, 12, 22, 28, 21)  # 0..10, skewed positive
CREDITS = (Decimal("1.00"), Decimal("2.00"), Decimal("3.00"), Decimal("5.00"), Decimal("10.00"))


def demo_size(scale: float) -> tuple[int, int]:
    """How many organisations and people the data set has at this scale."""
    return max(3, round(ORGANISATIONS_PER_SCALE * scale)), max(10, round(PEOPLE_PER_SCALE * scale))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() else "-" for c in ascii_text.lower())
    return "-".join(part for part in kept.split("-") if part) or "x"


@dataclass
class _Plan:
    """One customer's facts before they become events: (day offset, order, action)."""

    start: float
    items: list[tuple[float, int, str, Any]] = field(default_factory=list)
    consents: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add(self, day: float, action: str, payload: Any) -> None:
        if self.start < day < LAST_DAY + 0.99:
            self.items.append((day, len(self.items), action, payload))


@dataclass
class _Org:
    customer: Customer
    domain: str | None
    sector: str
    account_manager: str
    start: float
    weight: float


class _Generator:
    def __init__(self, scale: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.partner_rng = random.Random(seed + 16)
        # Digimentors draw from their own generator, so the rest of the data set is the
        # same as before they were added.
        self.digi = random.Random(seed + 1)
        self.fake = Faker("fi_FI")
        self.fake.seed_instance(seed)
        self.seed = seed
        self.counter = 0
        self.ids = 0
        self.emails: set[str] = set()
        self.organisations, self.people = demo_size(scale)
        self.orgs: list[_Org] = []
        self.org_cum_weights: list[float] = []
        rng = self.rng
        self.fair_days = sorted(
            (date(year, month, day) - START.date()).days
            for year in (2023, 2024, 2025, 2026)
            for _, month, day in FAIRS
            if 0 <= (date(year, month, day) - START.date()).days < LAST_DAY
        )
        self.fair_names = {
            (date(year, month, day) - START.date()).days: name
            for year in (2023, 2024, 2025, 2026)
            for name, month, day in FAIRS
        }
        self.webinars = sorted(
            (
                rng.randrange(7, LAST_DAY),
                f"W{i:03d}",
                rng.choice(WEBINAR_TOPICS),
            )
            for i in range(max(12, int(36 * min(scale, 3))))
        )
        self.campaigns = sorted(
            (
                rng.randrange(30, LAST_DAY),
                f"{rng.choice(CAMPAIGN_NAMES)} {i + 1}",
                rng.choices(("email_marketing", "event_invitations"), (3, 1))[0],
                rng.choices(INSTITUTIONS, INSTITUTION_WEIGHTS)[0],
            )
            for i in range(30)
        )
        # Monthly newsletters on the 6th at about nine.
        self.newsletter_days = [
            (date(2023 + (10 + m) // 12, (10 + m) % 12 + 1, 6) - START.date()).days + 0.375
            for m in range(36)
        ]

    # Helpers ------------------------------------------------------------------------------

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def key(self) -> str:
        self.counter += 1
        return f"demo:{self.seed}:{self.counter}"

    def business_time(self, day: int) -> float:
        return day + self.rng.uniform(8 / 24, 17 / 24)

    def later(self, day: float, low: int, high: int) -> float:
        return self.business_time(int(day) + self.rng.randint(low, high))

    def institution(self) -> str:
        return self.rng.choices(INSTITUTIONS, INSTITUTION_WEIGHTS)[0]

    def unique_email(self, local: str, domain: str) -> str:
        local = _slug(local).replace("-", ".")
        email = f"{local}@{domain}"
        n = 1
        while email in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(email)
        return email

    def amount(self, price: tuple[int, int, int]) -> Decimal:
        low, high, step = price
        value = self.rng.randrange(low, high + 1, step)
        cents = self.rng.choice(("00", "00", "00", "50", "90"))
        return Decimal(f"{value}.{cents}")

    def offering(self, types: tuple[str, ...]) -> tuple[str, str, tuple[int, int, int]]:
        wanted = self.rng.choice(types)
        return self.rng.choice([o for o in OFFERINGS if o[1] == wanted])

    def note(self, p: float) -> str | None:
        return self.rng.choice(NOTES) if self.rng.random() < p else None

    # Customers ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Customer]:
        for i in range(self.organisations):
            yield self.organisation(i)
        for i in range(self.people):
            yield self.person(i)

    def start_day(self) -> int:
        # More customers become known later on, as the service grows.
        return int(LAST_DAY * 0.93 * self.rng.random() ** 0.8)

    def rich(self, account_manager: str | None) -> bool:
        return self.rng.random() < (0.04 if account_manager == "anna.am" else 0.012)

    def organisation(self, i: int) -> Customer:
        rng = self.rng
        public = rng.random() < 0.3
        if public:
            base, sector = rng.choice(PUBLIC_ORGANISATIONS)
            unit = rng.choice(PUBLIC_UNITS)
            name = f"{base}, {unit}" if unit else base
            domain_base = base.split(",")[0]
        else:
            sector = rng.choices(PRIVATE_SECTORS, PRIVATE_SECTOR_WEIGHTS)[0]
            name = self.fake.company()
            domain_base = name
        domain = f"{_slug(domain_base)}.fi"
        email: str | None = self.unique_email(rng.choice(("info", "koulutus", "hr")), domain)
        if rng.random() < 0.2:
            email = None
        account_manager = rng.choices(ACCOUNT_MANAGERS, AM_WEIGHTS)[0]
        start = self.start_day()
        plan = _Plan(self.business_time(start))
        self.organisation_journey(plan, public, account_manager)
        customer = self.build(
            plan,
            customer_kind="organisation",
            customer_type="public_organisation" if public else "private_organisation",
            name=name,
            email=email,
            phone=self.fake.phone_number() if rng.random() < 0.8 else None,
            sector=sector,
            account_manager=account_manager,
            first_channel=rng.choice(("company_visit", "phone", "fair", "web_service", "email")),
        )
        weight = rng.paretovariate(1.5)
        self.orgs.append(_Org(customer, domain, sector, account_manager, plan.start, weight))
        self.org_cum_weights.append((self.org_cum_weights or [0.0])[-1] + weight)
        return customer

    def person(self, i: int) -> Customer:
        rng = self.rng
        first, last = self.fake.first_name(), self.fake.last_name()
        org = None
        if self.orgs and rng.random() < 0.45:
            total = self.org_cum_weights[-1]
            org = self.orgs[bisect.bisect_left(self.org_cum_weights, rng.random() * total)]
        if org is not None and org.domain and rng.random() < 0.7:
            email: str | None = self.unique_email(f"{first}.{last}", org.domain)
        else:
            email = self.unique_email(f"{first}.{last}", rng.choice(PERSONAL_MAIL_DOMAINS))
        if rng.random() < 0.08:
            email = None
        if org is not None:
            account_manager: str | None = org.account_manager
        elif rng.random() < 0.6:
            account_manager = rng.choices(ACCOUNT_MANAGERS, AM_WEIGHTS)[0]
        else:
            account_manager = None
        start = self.start_day()
        plan = _Plan(self.business_time(start))
        if org is not None:
            day = max(plan.start, org.start) + rng.uniform(0.001, 0.01)
            roles = ROLES_BY_SECTOR.get(org.sector, ()) + COMMON_ROLES
            plan.add(day, "affiliate", (org.customer, rng.choice(roles)))
            if rng.random() < 0.08:
                plan.add(self.later(day, 60, 700), "unaffiliate", org.customer.id)
            if self.digi.random() < DIGIMENTOR_SHARE:
                self.digimentor(plan, day, org.customer.id)
        self.person_journey(plan, account_manager)
        return self.build(
            plan,
            customer_kind="person",
            customer_type="individual",
            name=f"{first} {last}",
            email=email,
            phone=self.fake.phone_number() if rng.random() < 0.6 else None,
            sector=org.sector if org is not None else None,
            account_manager=account_manager,
            first_channel=rng.choice(
                ("web_service", "fair", "webinar", "own_event", "social_media", "chat", "phone")
            ),
        )

    # Journeys -----------------------------------------------------------------------------

    def episode_count(self, rich: bool, mu: float, high: int) -> int:
        if rich:
            return self.rng.randint(60, 110)
        return min(high, max(1, int(self.rng.lognormvariate(mu, 0.8))))

    def some_day(self, plan: _Plan) -> float:
        return self.business_time(self.rng.randint(int(plan.start) + 1, LAST_DAY))

    def organisation_journey(self, plan: _Plan, public: bool, account_manager: str) -> None:
        rng = self.rng
        rich = self.rich(account_manager)
        if rng.random() < 0.35 or rich:
            self.membership(plan)
        if rng.random() < 0.3 or rich:
            self.consent(plan, "newsletter")
        if rng.random() < 0.25 or rich:
            self.consent(plan, rng.choice(("email_marketing", "event_invitations")))
        if rng.random() < 0.05:
            plan.add(self.some_day(plan), "assign", rng.choice(ACCOUNT_MANAGERS))
        episodes = (
            (self.company_visit, 6),
            (self.call, 4),
            (self.event, 3),
            (self.fair, 1),
            (self.org_lead, 3),
            (self.org_purchase, 2),
            (self.web_visit, 2),
            (self.social, 1),
        )
        self.run_episodes(plan, episodes, self.episode_count(rich, 2.0, 40))
        self.marketing(plan)

    def person_journey(self, plan: _Plan, account_manager: str | None) -> None:
        rng = self.rng
        rich = self.rich(account_manager)
        for purpose, p in (
            ("newsletter", 0.35),
            ("email_marketing", 0.25),
            ("event_invitations", 0.15),
            ("phone_marketing", 0.05),
        ):
            if rng.random() < p or (rich and purpose != "phone_marketing"):
                self.consent(plan, purpose)
        episodes = (
            (self.web_visit, 5),
            (self.webinar, 3),
            (self.event, 2),
            (self.fair, 1),
            (self.chat, 2),
            (self.social, 2),
            (self.call, 1),
            (self.person_lead, 1),
            (self.person_purchase, 2),
        )
        self.run_episodes(plan, episodes, self.episode_count(rich, 1.65, 30))
        self.marketing(plan)

    def run_episodes(
        self, plan: _Plan, episodes: tuple[tuple[Callable[[_Plan], None], int], ...], count: int
    ) -> None:
        functions = [f for f, _ in episodes]
        weights = [w for _, w in episodes]
        for episode in self.rng.choices(functions, weights, k=count):
            episode(plan)

    # Episodes -----------------------------------------------------------------------------

    def invoice(self, plan: _Plan, day: float, purchase_id: str, amount: Decimal) -> None:
        """The purchase's invoice and what became of it: mostly paid around the due date,
        some paid late or in part, a few credited, the newest still open."""
        # A stream of its own, so the demo's other facts stay what they were before invoices.
        rng = random.Random(purchase_id)
        if day > LAST_DAY - 45 and rng.random() < 0.5:
            return  # the newest purchases are partly still to invoice
        invoiced = day + rng.uniform(0.5, 12)
        number = f"{2023_000000 + int(purchase_id.rsplit('-', 1)[-1])}"
        term = rng.choice((14, 14, 21, 30))
        invoice_date = _day(invoiced)
        due_date = invoice_date + timedelta(days=term)
        plan.add(invoiced, "invoice", (purchase_id, number, invoice_date, due_date, amount))
        fate = rng.random()
        if fate < 0.04:
            credited = invoiced + rng.uniform(1, 30)
            reason = rng.choice(REFUND_REASONS)
            plan.add(credited, "credit", (number, _day(credited), amount, reason))
            return
        paid = invoiced + term + rng.choice((-10, -5, -2, 0, 3, 12, 45, 100)) + rng.random()
        if fate < 0.12:
            part = (amount * Decimal("0.5")).quantize(Decimal("0.01"))
            plan.add(paid, "pay", (number, _day(paid), part))
        elif fate < 0.97:
            plan.add(max(paid, invoiced + 0.1), "pay", (number, _day(max(paid, invoiced)), amount))

    def touch(
        self,
        plan: _Plan,
        day: float,
        kind: type[ev.Touchpoint],
        channel: str,
        institution: str | None = None,
        **fields: Any,
    ) -> None:
        fields.setdefault("notes", None)
        plan.add(day, "touch", (kind, institution or self.institution(), channel, fields))

    def web_visit(self, plan: _Plan) -> None:
        day = self.some_day(plan)
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            page = self.rng.choice(WEB_PAGES)
            self.touch(plan, day, ev.WebServiceVisited, "web_service", "joint", page=page)
            day += self.rng.uniform(0.0005, 0.003)

    def chat(self, plan: _Plan) -> None:
        topic = self.rng.choice(CHAT_TOPICS)
        self.touch(plan, self.some_day(plan), ev.ChatConversationHeld, "chat", topic=topic)

    def social(self, plan: _Plan) -> None:
        rng = self.rng
        self.touch(
            plan,
            self.some_day(plan),
            ev.SocialMediaInteracted,
            "social_media",
            platform=rng.choice(SOCIAL_PLATFORMS),
            interaction=rng.choice(SOCIAL_INTERACTIONS),
        )

    def call(self, plan: _Plan) -> None:
        rng = self.rng
        direction = rng.choice(("inbound", "outbound"))
        purpose = None
        day = self.some_day(plan)
        if direction == "outbound" and self.consented(plan, "phone_marketing", day):
            purpose = "phone_marketing"
        self.touch(
            plan,
            day,
            ev.PhoneCallMade,
            "phone",
            direction=direction,
            topic=rng.choice(CALL_TOPICS),
            marketing_purpose=purpose,
            notes=self.note(0.3),
        )

    def company_visit(self, plan: _Plan) -> None:
        topic = self.rng.choice(VISIT_TOPICS)
        day = self.some_day(plan)
        self.touch(plan, day, ev.CompanyVisited, "company_visit", topic=topic, notes=self.note(0.5))

    def fair(self, plan: _Plan) -> None:
        days = [d for d in self.fair_days if d > plan.start]
        if not days:
            return self.web_visit(plan)
        day = self.rng.choice(days)
        name = self.fair_names[day]
        self.touch(plan, self.business_time(day), ev.FairVisited, "fair", fair_name=name)
        return None

    def event(self, plan: _Plan) -> None:
        rng = self.rng
        day = self.some_day(plan)
        if rng.random() < 0.7:
            name, event_format = rng.choice(OWN_EVENTS)
            organiser = "own"
            channel = {"training": "training", "taster_session": "taster_session"}.get(
                event_format, "own_event"
            )
        else:
            name, event_format = rng.choice(THIRD_PARTY_EVENTS)
            organiser, channel = "third_party", "third_party_event"
        institution = self.institution()
        self.touch(
            plan,
            day,
            ev.EventAttended,
            channel,
            institution,
            event_name=name,
            organiser=organiser,
            event_format=event_format,
        )
        if rng.random() < 0.2:
            self.feedback(plan, self.later(day, 0, 3), name, institution)

    def digimentor(self, plan: _Plan, affiliated: float, organisation_id: UUID) -> None:
        """Named digimentor for the organisation some weeks after joining it, then at the
        provider's digimentor workshops, seminars and company meetings through the years;
        now and then the role ends."""
        digi = self.digi
        named = affiliated + digi.uniform(14, 200)
        plan.add(named, "digimentor", organisation_id)
        for _ in range(digi.randint(1, 6)):
            name, event_format = digi.choice(DIGIMENTOR_EVENTS)
            day = int(named + digi.uniform(7, 800)) + digi.uniform(9 / 24, 15 / 24)
            channel = (
                "company_visit" if event_format == "digimentor_company_meeting" else "own_event"
            )
            plan.add(day, "touch", (ev.EventAttended, "joint", channel, {
                "notes": None, "event_name": name, "organiser": "own",
                "event_format": event_format}))  # fmt: skip
        if digi.random() < 0.15:
            plan.add(named + digi.uniform(180, 700), "end_digimentor", organisation_id)

    def webinar(self, plan: _Plan) -> None:
        rng = self.rng
        upcoming = [w for w in self.webinars if w[0] > plan.start + 3]
        if not upcoming:
            return self.web_visit(plan)
        day, webinar_id, title = rng.choice(upcoming)
        institution = self.institution()
        registered = self.business_time(max(int(plan.start) + 1, day - rng.randint(1, 20)))
        if registered >= day:
            registered = day - 0.5
        self.touch(
            plan,
            registered,
            ev.WebinarRegistered,
            "webinar",
            institution,
            webinar_id=webinar_id,
            title=title,
        )
        if rng.random() < 0.75:
            at = day + 0.58  # about two in the afternoon
            self.touch(
                plan,
                at,
                ev.WebinarAttended,
                "webinar",
                institution,
                webinar_id=webinar_id,
                title=title,
            )
            if rng.random() < 0.15:
                self.feedback(plan, at + 0.05, title, institution)
        return None

    def feedback(self, plan: _Plan, day: float, offering: str | None, institution: str) -> None:
        rng = self.rng
        score = rng.choices(range(11), SCORE_WEIGHTS)[0]
        comments = (
            POSITIVE_COMMENTS
            if score >= 8
            else NEUTRAL_COMMENTS
            if score >= 5
            else NEGATIVE_COMMENTS
        )
        comment = rng.choice(comments) if rng.random() < 0.6 else None
        channel = rng.choice(("web_service", "email", "training"))
        self.touch(
            plan,
            day,
            ev.FeedbackGiven,
            channel,
            institution,
            score=score,
            comment=comment,
            offering=offering,
            offering_code=CATALOGUE[offering][0] if offering in CATALOGUE else None,
        )

    def consent(self, plan: _Plan, purpose: str) -> None:
        rng = self.rng
        if purpose in plan.consents:
            return
        given = self.some_day(plan)
        channel = rng.choice(("web_service", "fair", "webinar", "email", "own_event"))
        self.touch(
            plan,
            given,
            ev.ConsentGiven,
            channel,
            "joint",
            purpose=purpose,
            lawful_basis="consent",
            evidence=rng.choice(CONSENT_EVIDENCE),
        )
        newsletter = rng.choice(NEWSLETTERS)
        if purpose == "newsletter":
            self.touch(
                plan,
                given + 0.0005,
                ev.NewsletterSubscribed,
                channel,
                "joint",
                newsletter=newsletter,
            )
        until = float(SPAN_DAYS + 1)
        if rng.random() < 0.18:
            withdrawn = self.later(given, 20, 600)
            if withdrawn < LAST_DAY:
                until = withdrawn
                self.touch(
                    plan,
                    withdrawn,
                    ev.ConsentWithdrawn,
                    rng.choice(("email", "web_service", "phone")),
                    "joint",
                    purpose=purpose,
                    evidence=rng.choice(WITHDRAWAL_EVIDENCE),
                )
                if purpose == "newsletter":
                    self.touch(
                        plan,
                        withdrawn + 0.0005,
                        ev.NewsletterUnsubscribed,
                        "newsletter",
                        "joint",
                        newsletter=newsletter,
                    )
        plan.consents[purpose] = [(given, until)]

    def consented(self, plan: _Plan, purpose: str, day: float) -> bool:
        return any(a < day < b for a, b in plan.consents.get(purpose, ()))

    def marketing(self, plan: _Plan) -> None:
        """Newsletters and campaign e-mails, only inside the customer's consent windows."""
        rng = self.rng
        for day in self.newsletter_days:
            if self.consented(plan, "newsletter", day) and rng.random() < 0.8:
                self.touch(
                    plan,
                    day,
                    ev.NewsletterSent,
                    "newsletter",
                    "joint",
                    newsletter=NEWSLETTERS[0] if rng.random() < 0.7 else NEWSLETTERS[1],
                )
        for campaign_day, name, purpose, institution in self.campaigns:
            day = campaign_day + 0.4
            if self.consented(plan, purpose, day) and rng.random() < 0.6:
                self.touch(
                    plan,
                    day,
                    ev.MarketingEmailSent,
                    "email",
                    institution,
                    purpose=purpose,
                    campaign=name,
                )

    def purchase(
        self, plan: _Plan, day: float, types: tuple[str, ...], channel: str, organisation: bool
    ) -> str:
        rng = self.rng
        name, offering_type, price = self.offering(types)
        institution = self.institution()
        purchase_id = f"P{self.seed}-{self.counter + 1:07d}"
        self.counter += 1
        amount = self.amount(price)
        invoice = f"{rng.randrange(10**8, 10**9)}" if organisation or rng.random() < 0.3 else None
        self.touch(
            plan,
            day,
            ev.PurchaseMade,
            channel,
            institution,
            purchase_id=purchase_id,
            offering=name,
            offering_type=offering_type,
            amount=amount,
            invoice_reference=invoice,
            offering_code=CATALOGUE[name][0],
        )
        self.invoice(plan, day, purchase_id, amount)
        after = day
        if offering_type == "open_training" and rng.random() < 0.7:
            after = self.later(day, 28, 150)
            credits = rng.choice(CREDITS)
            self.touch(
                plan,
                after,
                ev.CourseCompleted,
                "training",
                institution,
                course=name,
                credits=credits,
                offering_code=CATALOGUE[name][0],
            )
        if rng.random() < 0.45:
            after = self.later(after, 0, 14)
            self.feedback(plan, after, name, institution)
        if rng.random() < 0.15:
            self.touch(
                plan,
                self.later(after, 1, 90),
                ev.RecommendationGiven,
                rng.choice(("social_media", "web_service")),
                institution,
                offering=name,
                offering_code=CATALOGUE[name][0],
            )
        if rng.random() < 0.05:
            if rng.random() < 0.4:
                refund = amount
            else:
                refund = (amount * Decimal(rng.uniform(0.1, 0.6))).quantize(Decimal("0.01"))
            if refund > 0:
                self.touch(
                    plan,
                    self.later(day, 2, 40),
                    ev.PurchaseRefunded,
                    "email",
                    institution,
                    purchase_id=purchase_id,
                    amount=refund,
                    reason=rng.choice(REFUND_REASONS),
                )
        return purchase_id

    def lead(self, plan: _Plan, target_groups: tuple[str, ...], types: tuple[str, ...]) -> None:
        rng = self.rng
        lead_id = f"L{self.seed}-{self.counter + 1:07d}"
        self.counter += 1
        source = rng.choice(LEAD_SOURCES)
        institution = self.institution()
        day = self.some_day(plan)
        interest = rng.choice([o[0] for o in OFFERINGS if o[1] in types])
        self.touch(
            plan,
            day,
            ev.LeadCaptured,
            source,
            institution,
            lead_id=lead_id,
            source_channel=source,
            target_group=rng.choice(target_groups),
            interest=interest,
        )
        organisation = types is ORGANISATION_OFFERING_TYPES
        follow_up = "company_visit" if organisation else "phone"
        if rng.random() < 0.6:
            day = self.later(day, 3, 30)
            self.touch(plan, day, ev.LeadQualified, follow_up, institution, lead_id=lead_id)
            if rng.random() < 0.5:
                day = self.later(day, 7, 60)
                purchase_id = self.purchase(plan, day, types, follow_up, organisation)
                self.touch(
                    plan,
                    day + 0.001,
                    ev.LeadConverted,
                    follow_up,
                    institution,
                    lead_id=lead_id,
                    purchase_id=purchase_id,
                )
                return
        if rng.random() < 0.7:
            self.touch(
                plan,
                self.later(day, 14, 120),
                ev.LeadLost,
                "phone",
                institution,
                lead_id=lead_id,
                reason=rng.choice(LEAD_LOST_REASONS),
            )

    def org_lead(self, plan: _Plan) -> None:
        self.lead(plan, TARGET_GROUPS_ORG, ORGANISATION_OFFERING_TYPES)

    def person_lead(self, plan: _Plan) -> None:
        self.lead(plan, TARGET_GROUPS_PERSON, PERSON_OFFERING_TYPES)

    def org_purchase(self, plan: _Plan) -> None:
        channel = self.rng.choice(("company_visit", "email", "phone"))
        self.purchase(plan, self.some_day(plan), ORGANISATION_OFFERING_TYPES, channel, True)

    def person_purchase(self, plan: _Plan) -> None:
        channel = self.rng.choice(("web_service", "web_service", "email", "phone", "fair"))
        self.purchase(plan, self.some_day(plan), PERSON_OFFERING_TYPES, channel, False)

    def membership(self, plan: _Plan) -> None:
        rng = self.rng
        # Partners tend to join early in the relationship.
        day = self.business_time(int(plan.start + (LAST_DAY - plan.start) * rng.random() ** 2) + 1)
        if day > LAST_DAY - 30:
            return
        tier = rng.choices(("free", "paid"), (3, 2))[0]
        self.touch(plan, day, ev.PartnerMembershipStarted, "company_visit", "joint", tier=tier)
        end = float(SPAN_DAYS + 1)
        if rng.random() < 0.1:
            end = self.later(day, 200, 700)
            self.touch(
                plan,
                end,
                ev.PartnerMembershipEnded,
                "email",
                "joint",
                reason=rng.choice(MEMBERSHIP_END_REASONS),
            )
        if tier == "free" and rng.random() < 0.25:
            change = self.later(day, 60, 400)
            if change < end:
                self.touch(
                    plan,
                    change,
                    ev.PartnerMembershipChanged,
                    "company_visit",
                    "joint",
                    tier="paid",
                )
        review = self.later(day, 330, 380)
        while review < min(end, LAST_DAY):
            due = (START + timedelta(days=review + 365)).date()
            self.touch(
                plan,
                review,
                ev.AnnualReviewHeld,
                "company_visit",
                "joint",
                next_review_due=due,
                notes=self.note(0.4),
                outcome=self.partner_rng.choices(REVIEW_OUTCOMES[:3], (8, 1, 1))[0],
            )
            review = self.later(review, 340, 390)
        self.partner_extras(plan, day, end)

    def partner_extras(self, plan: _Plan, start: float, end: float) -> None:
        """Benefits used through the membership and, for some, Digi Fellow with its events.
        A separate random stream, so the rest of the data set is what it was without them."""
        rng = self.partner_rng
        last = min(end, LAST_DAY) - 1
        if last <= start + 2:
            return
        for _ in range(rng.choice((0, 1, 2, 3, 4))):
            day = rng.uniform(start + 1, last)
            benefit = rng.choice(PARTNER_BENEFITS)
            plan.add(day, "benefit", (benefit, rng.random() < 0.5, rng.choice(TARGETED_TRAININGS)))
        if rng.random() < 0.3:
            joined = rng.uniform(start + 1, last)
            plan.add(joined, "programme", ("digi_fellow", True))
            for _ in range(rng.choice((1, 2, 3))):
                held = rng.randrange(int(joined) + 1, int(last) + 2)
                # Every member attends the same few sessions: a workshop on the 10th of a
                # month, a seminar on the 20th.
                code = rng.choice(DIGI_FELLOW_EVENTS)
                on = (
                    (START + timedelta(days=held))
                    .date()
                    .replace(day=10 if code.endswith("TYOPAJA") else 20)
                )
                at = (datetime.combine(on, datetime.min.time(), HELSINKI) - START).days + 0.55
                if joined < at < last:
                    self.touch(plan, at, ev.EventAttended, "own_event", "joint",
                               event_name="Digi Fellow", organiser="own",
                               event_format="event" if code.endswith("TYOPAJA") else "seminar",
                               offering_code=code, programme="digi_fellow")  # fmt: skip
            if rng.random() < 0.15:
                plan.add(rng.uniform(joined + 1, last + 1), "programme", ("digi_fellow", False))

    # Events -------------------------------------------------------------------------------

    def provenance(self, day: float, institution: str, channel: str, by: str) -> Provenance:
        return Provenance(
            occurred_at=START + timedelta(days=day),
            institution=institution,
            channel=channel,
            recorded_by=by,
            idempotency_key=self.key(),
        )

    def use_benefit(self, customer: Customer, day: float, by: str, payload: Any) -> None:
        benefit, as_amount, training = payload
        _use_benefit(customer, self.provenance(day, "joint", "other", by), benefit, as_amount,
                     training)  # fmt: skip

    def recorder(self, account_manager: str | None) -> str:
        if account_manager is None or self.rng.random() < 0.15:
            return self.rng.choices(ACCOUNT_MANAGERS, AM_WEIGHTS)[0]
        return account_manager

    def build(self, plan: _Plan, *, first_channel: str, **registration: Any) -> Customer:
        account_manager: str | None = registration["account_manager"]
        customer = Customer.register(
            customer_id=self.uuid(),
            provenance=self.provenance(
                plan.start, self.institution(), first_channel, self.recorder(account_manager)
            ),
            **registration,
        )
        plan.items.sort()
        for day, _, action, payload in plan.items:
            by = self.recorder(account_manager)
            if action == "touch":
                kind, institution, channel, fields = payload
                programme = fields.get("programme")
                if programme and not customer.in_programme_at(
                    programme, START + timedelta(days=day)
                ):
                    continue  # only the programme's members take part in its events
                purpose = kind.required_consent(fields)
                if purpose is not None and not customer.has_consent(
                    purpose, START + timedelta(days=day)
                ):
                    continue  # never market without a valid consent
                customer.record_touchpoint(
                    self.provenance(day, institution, channel, by), kind, fields, now=REFERENCE
                )
            elif action == "affiliate":
                organisation, role = payload
                customer.start_affiliation(
                    self.provenance(day, "joint", "other", by), organisation, role
                )
            elif action == "unaffiliate":
                customer.end_affiliation(self.provenance(day, "joint", "other", by), payload)
            elif action == "digimentor":
                # Only while the person still acts for the organisation.
                if str(payload) in customer.affiliations:
                    customer.name_digimentor(self.provenance(day, "joint", "other", by), payload)
            elif action == "end_digimentor":
                if str(payload) in customer.digimentor_for:
                    customer.end_digimentor_role(
                        self.provenance(day, "joint", "other", by), payload
                    )
            elif action == "assign":
                account_manager = payload
                customer.assign_account_manager(self.provenance(day, "joint", "other", by), payload)
            elif action == "invoice":
                purchase_id, number, invoice_date, due_date, amount = payload
                customer.invoice_purchase(
                    self.provenance(day, "joint", "other", "fiona.finance"),
                    purchase_id=purchase_id,
                    invoice_number=number,
                    invoice_date=invoice_date,
                    due_date=due_date,
                    amount=amount,
                )
            elif action == "benefit":
                self.use_benefit(customer, day, by, payload)
            elif action == "programme":
                programme, joining = payload
                if customer.membership_tier_at(START + timedelta(days=day)) is None:
                    continue
                when = self.provenance(day, "joint", "other", by)
                if joining and not customer.in_programme_at(programme, when.occurred_at):
                    customer.join_programme(when, programme, None, now=REFERENCE)
                elif not joining and customer.in_programme_at(programme, when.occurred_at):
                    customer.leave_programme(when, programme, None, now=REFERENCE)
            elif action == "pay":
                number, paid_on, amount = payload
                customer.pay_invoice(
                    self.provenance(day, "joint", "other", "fiona.finance"),
                    invoice_number=number,
                    paid_on=paid_on,
                    amount=amount,
                )
            elif action == "credit":
                number, credited_on, amount, reason = payload
                customer.credit_invoice(
                    self.provenance(day, "joint", "other", "fiona.finance"),
                    invoice_number=number,
                    credited_on=credited_on,
                    amount=amount,
                    reason=reason,
                )
        return customer


def _tier_benefits(tier: str, _: datetime) -> tuple[str, ...]:
    return PARTNER_TIERS[tier].benefits


def _use_benefit(
    customer: Customer, when: Provenance, benefit: str, as_amount: bool, training: str
) -> None:
    """One benefit of the membership used, when the tier of that day includes it."""
    tier = customer.membership_tier_at(when.occurred_at)
    if tier is None or benefit not in PARTNER_TIERS[tier].benefits:
        return
    fields: dict[str, Any] = {}
    if benefit == "programme_discount":
        if not customer.purchases:
            return
        purchase_id = sorted(customer.purchases)[-1]
        amount = customer.purchases[purchase_id][0]
        if amount <= 0:
            return
        percent = PARTNER_TIERS[tier].discount_percent or Decimal(10)
        fields["purchase_id"] = purchase_id
        if as_amount:
            fields["discount_amount"] = (amount * percent / 100).quantize(Decimal("0.01"))
        else:
            fields["discount_percent"] = percent
    elif benefit == "targeted_training":
        fields["offering_code"] = training
    customer.use_partner_benefit(
        when, benefit=benefit, tier_benefits=_tier_benefits, now=REFERENCE, **fields
    )


def _day(offset: float) -> date:
    """The day in Finnish time `offset` days after the demo's start."""
    return (START + timedelta(days=offset)).date()


def generate(scale: float = 1.0, seed: int = 2026) -> Iterator[Customer]:
    """The demo customers with their journeys as pending events (pure: no I/O).

    Organisations come first, then people (some affiliated with those organisations). The same
    scale and seed always give the same ids, names and facts; only the library's recording
    timestamps differ between runs.
    """
    return iter(_Generator(scale, seed))


def registration_key(customer: Customer) -> str:
    """The idempotency key of the customer's `Registered` event."""
    return next(iter(customer.recorded_keys))


def _chunks(customers: Iterable[Customer], size: int) -> Iterator[list[Customer]]:
    chunk: list[Customer] = []
    for customer in customers:
        chunk.append(customer)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _in_background(chunks: Iterator[list[Customer]], depth: int = 4) -> Iterator[list[Customer]]:
    """Build chunks in a thread so generating overlaps the database's work on the last one."""
    queue: Queue[list[Customer] | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        queue.put(chunk, timeout=0.5)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(None)
        except BaseException as error:  # handed to the consumer, which re-raises it
            queue.put(error)

    thread = threading.Thread(target=produce, name="demo-data-generator", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def save_customers(
    crm: CRM,
    customers: Iterable[Customer],
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
    background: bool = True,
) -> tuple[int, int]:
    """Claim each customer's registration key and e-mail, then save them in chunks.

    One round trip claims a whole chunk and one transaction saves it (the application also
    creates the data keys). A customer whose registration key is claimed already (a re-run)
    is skipped, so loading twice adds nothing. With `background`, the next chunks are built
    in a thread meanwhile. Returns (customers saved, events saved).
    """
    saved_customers = saved_events = 0
    chunks = _chunks(customers, chunk_size)
    for chunk in _in_background(chunks) if background else chunks:
        claims: dict[str, UUID] = {}
        keys = []
        for customer in chunk:
            key = crm.identities.key_claim(registration_key(customer))
            keys.append(key)
            claims[key] = customer.id
            if customer.email:
                claims[crm.identities.email_claim(customer.email)] = customer.id
        taken = crm.identities.claim_many(claims)
        fresh = [customer for customer, key in zip(chunk, keys, strict=True) if key in taken]
        if fresh:
            events = sum(len(customer.pending_events) for customer in fresh)
            crm.save(*fresh)
            saved_customers += len(fresh)
            saved_events += events
        if progress is not None:
            progress(saved_customers, saved_events)
    return saved_customers, saved_events


def load_catalogue(services: Services) -> None:
    """The provider's catalogues (offerings, partner tiers), added by the demo administrator
    (entries known are kept)."""
    for code, terms in catalogue_entries():
        try:
            services.catalogue.add_offering(code, terms, "aino.admin")
        except OfferingExistsError:
            continue
    for tier, tier_terms in PARTNER_TIERS.items():
        try:
            services.partners.add_tier(tier, tier_terms, "aino.admin")
        except PartnerTierExistsError:
            continue


def _create_users(services: Services) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for name, role in DEMO_USERS.items():
        try:
            tokens[name] = services.users.add(name, role)
        except UserExistsError:
            continue
    return tokens


def _write_tokens(data_dir: Path, tokens: dict[str, str]) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo-tokens.txt"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.writelines(f"{name} {token}\n" for name, token in tokens.items())
    path.chmod(0o600)
    return path


def load_demo(
    services: Services,
    *,
    scale: float = 1.0,
    seed: int = 2026,
    console: Console | None = None,
) -> dict[str, str]:
    """Load the demo data set through the application and return the demo users' tokens.

    Users that exist already keep their tokens and are left out of the answer.
    """
    tokens = _create_users(services)
    _write_tokens(services.settings.data_dir, tokens)
    load_catalogue(services)
    organisations, people = demo_size(scale)
    total = organisations + people
    started = time.monotonic()
    customers = generate(scale, seed)
    if console is None:
        save_customers(services.crm, customers)
        return tokens
    with Progress(
        TextColumn("[bold]demo data"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} customers"),
        TextColumn("{task.fields[events]:,} events"),
        TextColumn("{task.fields[rate]:,.0f} events/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("demo", total=total, events=0, rate=0.0)

        def report(saved: int, events: int) -> None:
            rate = events / max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=saved, events=events, rate=rate)

        saved, events = save_customers(services.crm, customers, progress=report)
    elapsed = time.monotonic() - started
    console.print(f"demo data: {saved:,} customers, {events:,} events in {elapsed:.1f} s")
    return tokens


__all__ = [
    "REFERENCE",
    "demo_size",
    "generate",
    "load_demo",
    "registration_key",
    "save_customers",
]
