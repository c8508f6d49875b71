"""Sentence banks per language with a fixed train/test split, and the voice sets.

The split is fixed by construction (separate lists, written once), not by a random draw, so a
sentence can never migrate between train and test when the bank grows. Out-of-distribution
languages have test sentences only: no prior ever trains on them.
"""

from __future__ import annotations

from ggtalker.synth.performance import VoiceSpec

_BANK: dict[str, dict[str, list[str]]] = {
    "en": {
        "train": [
            "The quick brown fox jumps over the lazy dog.",
            "She sells sea shells by the sea shore every summer.",
            "Please bring me a cup of hot black coffee before the meeting starts.",
            "My brother moved to a small village near the mountains last year.",
            "We should leave early if we want to catch the first train.",
            "The children were playing football in the park all afternoon.",
            "Could you tell me where the nearest pharmacy is?",
            "I think the weather will be much better tomorrow morning.",
            "Reading a good book is the best way to spend a rainy evening.",
            "The old bridge was closed for repairs during the whole winter.",
            "Music helps me focus when I have a lot of work to do.",
            "Our team finished the project two weeks ahead of schedule.",
            "Do you remember the name of that little restaurant by the river?",
            "The museum opens at nine and closes at five on weekdays.",
            "He forgot his umbrella and came home completely soaked.",
            "Fresh bread from the bakery smells wonderful in the morning.",
            "They painted the kitchen a bright shade of yellow.",
            "Learning a new language takes patience and practice.",
            "The pilot announced that we would land in twenty minutes.",
            "Why don't we cook dinner together tonight?",
            "Every photograph on the wall tells a different story.",
            "The doctor said I should drink more water and sleep longer.",
            "A gentle breeze moved the leaves of the tall oak tree.",
            "Nobody expected the concert to be sold out so quickly.",
            "Put the blue box on the top shelf, please.",
            "My grandmother knits warm woollen socks for the whole family.",
            "The cat watched the birds from the window for hours.",
            "We measured the room twice before buying the new carpet.",
            "Thank you so much for helping me move last weekend.",
            "The library has thousands of books about history and science.",
        ],
        "test": [
            "She thought the children would enjoy measuring the beautiful garage.",
            "Bob put the map back in the pocket of his jacket.",
            "Wait, where did you put the keys to the car?",
            "The yellow boat floated slowly down the wide river.",
            "Five friends shared a huge pizza after the match.",
            "I would love to visit Japan in the spring.",
            "Who taught you how to play the violin so well?",
            "The smooth stones were warm from the afternoon sun.",
        ],
    },
    "es": {
        "train": [
            "El perro corre rápidamente por la calle mojada.",
            "Mañana vamos a visitar a mis abuelos en el pueblo.",
            "Me gusta leer un libro antes de dormir.",
            "La tienda de la esquina cierra a las ocho.",
            "Los niños juegan en el parque después de la escuela.",
            "¿Puedes ayudarme a llevar estas cajas al coche?",
            "El verano pasado fuimos a la playa todos los días.",
            "Mi hermana trabaja en un hospital del centro.",
            "Hace mucho frío esta mañana en la montaña.",
            "La comida de mi madre siempre es deliciosa.",
            "Necesito comprar pan, leche y huevos.",
            "El tren llega a la estación con diez minutos de retraso.",
        ],
        "test": [
            "Mi padre bebe café con leche por la mañana.",
            "Las flores del jardín son rojas y amarillas.",
            "¿Dónde está la biblioteca de la universidad?",
            "Vamos a pintar la casa de color azul.",
        ],
    },
    "de": {
        "train": [
            "Der Hund läuft schnell über die nasse Straße.",
            "Morgen besuchen wir meine Großeltern auf dem Land.",
            "Ich lese gern ein Buch vor dem Schlafen.",
            "Der Laden an der Ecke schließt um acht Uhr.",
            "Die Kinder spielen nach der Schule im Park.",
            "Kannst du mir helfen, diese Kisten zum Auto zu tragen?",
            "Im letzten Sommer waren wir jeden Tag am Strand.",
            "Meine Schwester arbeitet in einem Krankenhaus in der Stadt.",
            "Heute Morgen ist es in den Bergen sehr kalt.",
            "Das Essen meiner Mutter schmeckt immer wunderbar.",
            "Ich muss noch Brot, Milch und Eier kaufen.",
            "Der Zug kommt mit zehn Minuten Verspätung an.",
        ],
        "test": [
            "Über den Fluss führt eine schöne alte Brücke.",
            "Mein Vater trinkt morgens Kaffee mit Milch.",
            "Wo ist die Bibliothek der Universität?",
            "Wir streichen das Haus blau an.",
        ],
    },
    "fr": {
        "train": [
            "Le chien court vite dans la rue mouillée.",
            "Demain nous allons voir mes grands-parents à la campagne.",
            "J'aime lire un livre avant de dormir.",
            "Le magasin du coin ferme à huit heures.",
            "Les enfants jouent dans le parc après l'école.",
            "Peux-tu m'aider à porter ces cartons jusqu'à la voiture?",
            "L'été dernier nous allions à la plage tous les jours.",
            "Ma sœur travaille dans un hôpital du centre-ville.",
            "Il fait très froid ce matin à la montagne.",
            "La cuisine de ma mère est toujours délicieuse.",
            "Je dois acheter du pain, du lait et des œufs.",
            "Le train arrive en gare avec dix minutes de retard.",
        ],
        "test": [
            "Le garçon mange une pomme rouge dans le jardin.",
            "Mon père boit du café au lait le matin.",
            "Où se trouve la bibliothèque de l'université?",
            "Nous allons peindre la maison en bleu.",
        ],
    },
    "it": {
        "train": [
            "Il cane corre veloce sulla strada bagnata.",
            "Domani andiamo a trovare i nonni in campagna.",
            "Mi piace leggere un libro prima di dormire.",
            "Il negozio all'angolo chiude alle otto.",
            "I bambini giocano nel parco dopo la scuola.",
            "Puoi aiutarmi a portare queste scatole alla macchina?",
            "L'estate scorsa andavamo al mare ogni giorno.",
            "Mia sorella lavora in un ospedale del centro.",
            "Stamattina fa molto freddo in montagna.",
            "La cucina di mia madre è sempre buonissima.",
        ],
        "test": [
            "Gli studenti leggono il giornale ogni mattina.",
            "Mio padre beve il caffè con il latte.",
            "Dove si trova la biblioteca dell'università?",
            "Dipingiamo la casa di azzurro.",
        ],
    },
    "pt": {
        "train": [
            "O cachorro corre depressa pela rua molhada.",
            "Amanhã vamos visitar os meus avós no campo.",
            "Eu gosto de ler um livro antes de dormir.",
            "A loja da esquina fecha às oito horas.",
            "As crianças brincam no parque depois da escola.",
            "Você pode me ajudar a levar estas caixas até o carro?",
            "No verão passado fomos à praia todos os dias.",
            "A minha irmã trabalha num hospital no centro.",
            "Está muito frio esta manhã na montanha.",
            "A comida da minha mãe é sempre deliciosa.",
        ],
        "test": [
            "O menino comeu pão com manteiga.",
            "O meu pai bebe café com leite de manhã.",
            "Onde fica a biblioteca da universidade?",
            "Vamos pintar a casa de azul.",
        ],
    },
    "nl": {
        "train": [
            "De hond rent snel over de natte straat.",
            "Morgen gaan we mijn grootouders op het platteland bezoeken.",
            "Ik lees graag een boek voor het slapengaan.",
            "De winkel op de hoek sluit om acht uur.",
            "De kinderen spelen na school in het park.",
            "Kun je me helpen deze dozen naar de auto te dragen?",
            "Vorige zomer gingen we elke dag naar het strand.",
            "Mijn zus werkt in een ziekenhuis in het centrum.",
            "Het is vanochtend erg koud in de bergen.",
            "Het eten van mijn moeder is altijd heerlijk.",
        ],
        "test": [
            "De jongen fietst naar school in de regen.",
            "Mijn vader drinkt 's ochtends koffie met melk.",
            "Waar is de bibliotheek van de universiteit?",
            "We schilderen het huis blauw.",
        ],
    },
    "pl": {
        "train": [
            "Pies szybko biegnie po mokrej ulicy.",
            "Jutro odwiedzimy dziadków na wsi.",
            "Lubię czytać książkę przed snem.",
            "Sklep na rogu zamykają o ósmej.",
            "Dzieci bawią się w parku po szkole.",
            "Czy możesz mi pomóc zanieść te pudła do samochodu?",
            "Zeszłego lata codziennie chodziliśmy na plażę.",
            "Moja siostra pracuje w szpitalu w centrum.",
            "Dziś rano w górach jest bardzo zimno.",
            "Jedzenie mojej mamy jest zawsze pyszne.",
        ],
        "test": [
            "Chrząszcz brzmi w trzcinie w Szczebrzeszynie.",
            "Mój tata pije rano kawę z mlekiem.",
            "Gdzie jest biblioteka uniwersytecka?",
            "Pomalujemy dom na niebiesko.",
        ],
    },
    # Prior-only languages: train sentences only, spoken by the A2E corpus (more phoneme inventories
    # for the audio prior to learn from); never in a test suite, never an identity's own language.
    "cs": {"train": [
        "Pes rychle běží po mokré ulici.",
        "Zítra pojedeme k babičce na venkov.",
        "Před spaním rád čtu knihu.",
        "Obchod na rohu zavírá v osm hodin.",
        "Děti si po škole hrají v parku.",
        "Můžeš mi pomoct odnést ty krabice do auta?",
        "Moje sestra pracuje v nemocnici v centru města.",
        "Dnes ráno je na horách velká zima.",
    ]},
    "sv": {"train": [
        "Hunden springer snabbt längs den våta gatan.",
        "I morgon ska vi hälsa på mormor på landet.",
        "Jag tycker om att läsa en bok innan jag somnar.",
        "Affären på hörnet stänger klockan åtta.",
        "Barnen leker i parken efter skolan.",
        "Kan du hjälpa mig att bära lådorna till bilen?",
        "Min syster arbetar på sjukhuset i centrum.",
        "Det är mycket kallt i fjällen i morse.",
    ]},
    "ro": {"train": [
        "Câinele aleargă repede pe strada udă.",
        "Mâine mergem la bunici la țară.",
        "Îmi place să citesc o carte înainte de culcare.",
        "Magazinul din colț se închide la ora opt.",
        "Copiii se joacă în parc după școală.",
        "Mă poți ajuta să duc cutiile la mașină?",
        "Sora mea lucrează la spitalul din centru.",
        "În dimineața asta este foarte frig la munte.",
    ]},
    "da": {"train": [
        "Hunden løber hurtigt hen ad den våde gade.",
        "I morgen besøger vi bedstemor på landet.",
        "Jeg kan godt lide at læse en bog før jeg sover.",
        "Butikken på hjørnet lukker klokken otte.",
        "Børnene leger i parken efter skole.",
        "Kan du hjælpe mig med at bære kasserne ud til bilen?",
        "Min søster arbejder på hospitalet i byen.",
        "Det er meget koldt i bjergene i morges.",
    ]},
    "hr": {"train": [
        "Pas brzo trči po mokroj ulici.",
        "Sutra idemo baki i djedu na selo.",
        "Volim čitati knjigu prije spavanja.",
        "Trgovina na uglu zatvara se u osam sati.",
        "Djeca se igraju u parku poslije škole.",
        "Možeš li mi pomoći odnijeti kutije do auta?",
        "Moja sestra radi u bolnici u centru grada.",
        "Jutros je u planinama jako hladno.",
    ]},
    "ca": {"train": [
        "El gos corre de pressa pel carrer mullat.",
        "Demà anirem a veure els avis al poble.",
        "M'agrada llegir un llibre abans d'anar a dormir.",
        "La botiga de la cantonada tanca a les vuit.",
        "Els nens juguen al parc després de l'escola.",
        "Em pots ajudar a portar les caixes al cotxe?",
        "La meva germana treballa a l'hospital del centre.",
        "Aquest matí fa molt de fred a la muntanya.",
    ]},
    # Out-of-distribution languages: test only. espeak-ng 1.51 speaks each from its own rules
    # (checked: every sentence synthesises without falling back to another language).
    "fi": {"test": [
        "Hyvää huomenta, mitä sinulle kuuluu tänään?",
        "Koira juoksee nopeasti märkää katua pitkin.",
        "Huomenna menemme isovanhempien luokse maalle.",
        "Missä on yliopiston kirjasto?",
    ]},
    "hu": {"test": [
        "Jó reggelt, hogy vagy ma?",
        "A kutya gyorsan fut a nedves utcán.",
        "Holnap meglátogatjuk a nagyszüleimet vidéken.",
        "Hol van az egyetemi könyvtár?",
    ]},
    "tr": {"test": [
        "Günaydın, bugün nasılsın arkadaşım?",
        "Köpek ıslak sokakta hızlıca koşuyor.",
        "Yarın köydeki büyükannemi ziyaret edeceğiz.",
        "Üniversitenin kütüphanesi nerede?",
    ]},
    "sw": {"test": [
        "Habari ya asubuhi rafiki yangu.",
        "Mbwa anakimbia haraka barabarani.",
        "Kesho tutawatembelea babu na bibi kijijini.",
        "Maktaba ya chuo kikuu iko wapi?",
    ]},
    "vi": {"test": [
        "Xin chào, hôm nay bạn có khỏe không?",
        "Con chó chạy nhanh trên con đường ướt.",
        "Ngày mai chúng tôi sẽ về quê thăm ông bà.",
        "Thư viện của trường đại học ở đâu?",
    ]},
    "id": {"test": [
        "Selamat pagi, apa kabar hari ini?",
        "Anjing itu berlari cepat di jalan yang basah.",
        "Besok kami akan mengunjungi kakek dan nenek di desa.",
        "Di mana perpustakaan universitas?",
    ]},
}

#: Model-selection ("val") sentences, used by no training corpus and no test suite: a few per training language
#: and the whole bank of VAL_LANGUAGES, unseen languages of their own (Greek, Lithuanian, Albanian and tonal
#: Cantonese; none related to an OOD_LANGUAGES member), so choices about the audio prior are made without
#: looking at the test languages.
_VAL: dict[str, list[str]] = {
    "en": ["The library downstairs keeps old maps of the harbour.", "Turn left after the bakery and walk to the square."],
    "es": ["La biblioteca guarda mapas antiguos del puerto.", "Gira a la izquierda después de la panadería."],
    "de": ["Die Bibliothek bewahrt alte Karten vom Hafen auf.", "Biege nach der Bäckerei links ab."],
    "fr": ["La bibliothèque garde de vieilles cartes du port.", "Tournez à gauche après la boulangerie."],
    "it": ["La biblioteca conserva vecchie mappe del porto.", "Gira a sinistra dopo il panificio."],
    "pt": ["A biblioteca guarda mapas antigos do porto.", "Vire à esquerda depois da padaria."],
    "nl": ["De bibliotheek bewaart oude kaarten van de haven.", "Sla na de bakkerij linksaf."],
    "pl": ["Biblioteka przechowuje stare mapy portu.", "Skręć w lewo za piekarnią."],
    "el": ["Καλημέρα, πώς είσαι σήμερα;", "Ο σκύλος τρέχει γρήγορα στον βρεγμένο δρόμο.",
           "Αύριο θα επισκεφτούμε τους παππούδες μας στο χωριό.", "Πού είναι η βιβλιοθήκη του πανεπιστημίου;",
           "Μου αρέσει να πίνω καφέ με φίλους το απόγευμα."],
    "lt": ["Labas rytas, kaip tau sekasi šiandien?", "Šuo greitai bėga šlapia gatve.",
           "Rytoj aplankysime senelius kaime.", "Kur yra universiteto biblioteka?",
           "Man patinka gerti kavą su draugais po pietų."],
    "sq": ["Mirëmëngjes, si je sot?", "Qeni vrapon shpejt në rrugën e lagur.",
           "Nesër do të vizitojmë gjyshërit në fshat.", "Ku është biblioteka e universitetit?",
           "Më pëlqen të pi kafe me miqtë pasdite."],
    # (Cantonese rather than Mandarin: this espeak-ng reads Mandarin characters' tone digits as English numbers.)
    "yue": ["早晨，你今日點呀？", "隻狗喺濕嘅街度跑得好快。", "聽日我哋去鄉下探爺爺嫲嫲。", "大學嘅圖書館喺邊度？",
            "我鍾意下晝同朋友飲咖啡。"],
}
for _lang, _texts in _VAL.items():
    _BANK.setdefault(_lang, {})["val"] = _texts

TRAIN_LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr", "it", "pt", "nl", "pl")
OOD_LANGUAGES: tuple[str, ...] = ("fi", "hu", "tr", "sw", "vi", "id")
#: Unseen languages of the validation split (see ``_VAL``).
VAL_LANGUAGES: tuple[str, ...] = ("el", "lt", "sq", "yue")
SPLITS = ("train", "val", "test")
#: Languages only the audio prior's corpus speaks (train sentences only; see :data:`PRIOR_LANGUAGES`).
PRIOR_ONLY_LANGUAGES: tuple[str, ...] = ("cs", "sv", "ro", "da", "hr", "ca")
#: What the A2E prior trains on: the training languages and those above. The paper's prior learns from
#: many speakers; identities still speak only TRAIN_LANGUAGES with TRAIN_VOICES.
PRIOR_LANGUAGES: tuple[str, ...] = TRAIN_LANGUAGES + PRIOR_ONLY_LANGUAGES

#: Voices that prior-training corpora use: male and female variants, moderate pitch and rate.
TRAIN_VOICES: tuple[VoiceSpec, ...] = (
    VoiceSpec(variant="m1", pitch=45, rate=160), VoiceSpec(variant="m3", pitch=50, rate=170),
    VoiceSpec(variant="m5", pitch=40, rate=150), VoiceSpec(variant="f1", pitch=60, rate=165),
    VoiceSpec(variant="f3", pitch=65, rate=155), VoiceSpec(variant="f4", pitch=55, rate=175),
)
#: The audio prior's speakers: TRAIN_VOICES first, then other espeak-ng variants (none of OOD_VOICES' m7,
#: f5, m2, f2 or any klatt synthesiser) at moderate pitch and rate, so that OOD voices' unseen formant sets
#: and their pitch/rate extremes stay unseen.
PRIOR_VOICES: tuple[VoiceSpec, ...] = TRAIN_VOICES + (
    VoiceSpec(variant="m4", pitch=48, rate=165), VoiceSpec(variant="m6", pitch=42, rate=158),
    VoiceSpec(variant="m8", pitch=52, rate=168), VoiceSpec(variant="adam", pitch=45, rate=162),
    VoiceSpec(variant="benjamin", pitch=50, rate=155), VoiceSpec(variant="caleb", pitch=47, rate=170),
    VoiceSpec(variant="david", pitch=44, rate=160), VoiceSpec(variant="edward", pitch=50, rate=165),
    VoiceSpec(variant="john", pitch=46, rate=172), VoiceSpec(variant="paul", pitch=52, rate=158),
    VoiceSpec(variant="linda", pitch=62, rate=163), VoiceSpec(variant="anika", pitch=60, rate=168),
    VoiceSpec(variant="steph", pitch=64, rate=157), VoiceSpec(variant="Alicia", pitch=58, rate=170),
    VoiceSpec(variant="belinda", pitch=62, rate=160), VoiceSpec(variant="Annie", pitch=66, rate=165),
)
#: Unseen variants (other formant sets: m7, f5, klatt synthesiser), unseen pitch and rate extremes.
OOD_VOICES: tuple[VoiceSpec, ...] = (
    VoiceSpec(variant="m7", pitch=30, rate=140), VoiceSpec(variant="f5", pitch=80, rate=190),
    VoiceSpec(variant="klatt", pitch=50, rate=160), VoiceSpec(variant="m2", pitch=20, rate=120),
    VoiceSpec(variant="f2", pitch=90, rate=220),
)


def sentences(language: str, split: str) -> list[str]:
    """The fixed ``split`` (``"train"``, ``"val"`` or ``"test"``) sentences of ``language``.

    OOD languages have no train split (an empty list); an unknown language raises ``KeyError``
    naming those that exist.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if language not in _BANK:
        raise KeyError(f"no sentence bank for language {language!r}; have {sorted(_BANK)}")
    return list(_BANK[language].get(split, []))


def with_language(voice: VoiceSpec, language: str) -> VoiceSpec:
    """``voice`` speaking ``language`` (same variant, pitch and rate)."""
    return VoiceSpec(language=language, variant=voice.variant, pitch=voice.pitch, rate=voice.rate,
                     pitch_range=voice.pitch_range)
