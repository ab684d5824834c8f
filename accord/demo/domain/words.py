"""The vocabulary the demo draws from: names, places, companies, job titles and notes."""

from __future__ import annotations

# --------------------------------------------------------------------------- people

# First and last names by culture. Spelled as people write them; emails drop the accents.
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "anglo": (
        "James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Matthew", "Megan",
        "Christopher", "Lauren", "Andrew", "Rachel", "Ryan", "Hannah", "Joshua", "Amanda", "Brian", "Katie",
        "Kevin", "Olivia", "Tyler", "Grace", "Nathan", "Charlotte", "Thomas", "Sophie", "William", "Amy",
        "Benjamin", "Claire", "Jack", "Rebecca", "Samuel", "Natalie", "Ethan", "Molly", "Liam", "Zoe",
    ),
    "irish": (
        "Aoife", "Ciaran", "Niamh", "Sean", "Siobhan", "Eoin", "Orla", "Padraig", "Roisin", "Declan", "Ciara",
        "Cormac"
    ),
    "hispanic": (
        "Carlos", "María", "José", "Lucía", "Alejandro", "Sofía", "Diego", "Valentina", "Javier", "Camila",
        "Miguel", "Isabel", "Andrés", "Gabriela", "Luis", "Daniela", "Fernando", "Carmen", "Ricardo", "Paula",
    ),
    "german": (
        "Lukas", "Anna", "Maximilian", "Lea", "Jonas", "Laura", "Felix", "Katharina", "Leon", "Julia",
        "Tobias", "Sophie", "Florian", "Hannah", "Stefan", "Lena", "Matthias", "Franziska", "Jan", "Miriam",
    ),
    "french": (
        "Julien", "Camille", "Thomas", "Léa", "Nicolas", "Chloé", "Antoine", "Manon", "Maxime", "Inès",
        "Hugo", "Juliette", "Louis", "Élodie", "Mathieu", "Sarah", "Pierre", "Claire", "Romain", "Margaux",
    ),
    "dutch": (
        "Daan", "Sanne", "Bram", "Lotte", "Thijs", "Fleur", "Sem", "Eva", "Ruben", "Anouk",
        "Jeroen", "Femke", "Niels", "Iris", "Wouter", "Maaike", "Joost", "Esther",
    ),
    "swedish": (
        "Erik", "Elin", "Lars", "Maja", "Johan", "Linnea", "Anders", "Sara", "Oskar", "Ebba",
        "Gustav", "Ida", "Magnus", "Frida", "Henrik", "Karin", "Nils", "Astrid",
    ),
    "italian": (
        "Marco", "Giulia", "Alessandro", "Francesca", "Luca", "Chiara", "Matteo", "Elena", "Davide", "Sara",
        "Andrea", "Federica", "Stefano", "Martina",
    ),
    "polish": (
        "Piotr", "Agnieszka", "Tomasz", "Katarzyna", "Marcin", "Magdalena", "Paweł", "Joanna", "Krzysztof", "Anna"
    ),
    "turkish": ("Mehmet", "Ayşe", "Emre", "Elif", "Burak", "Zeynep", "Can", "Selin", "Murat", "Deniz"),
    "arabic": (
        "Omar", "Layla", "Youssef", "Amira", "Karim", "Nadia", "Hassan", "Salma", "Tariq", "Rania", "Samir",
        "Yasmin"
    ),
    "indian": (
        "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Neha", "Arjun", "Kavya", "Rahul", "Pooja",
        "Sanjay", "Divya", "Amit", "Shreya", "Karthik", "Meera", "Nikhil", "Aditi", "Siddharth", "Lakshmi",
    ),
    "chinese": (
        "Wei", "Mei", "Jun", "Xin", "Hao", "Ling", "Jian", "Yan", "Chen", "Lei",
        "Kevin", "Grace", "Jason", "Vivian", "Eric", "Cindy",
    ),
    "korean": ("Min-jun", "Ji-woo", "Seo-yeon", "Hyun-woo", "Soo-jin", "Jae-won", "Eun-ji", "Dong-hyun"),
    "japanese": ("Haruto", "Yui", "Kenji", "Aiko", "Takeshi", "Yuki", "Hiroshi", "Sakura", "Daichi", "Naomi"),
    "brazilian": (
        "João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Gabriel", "Larissa", "Rafael", "Fernanda",
        "Thiago", "Juliana", "Bruno", "Camila", "Felipe", "Letícia",
    ),
    "african": (
        "Chinedu", "Amara", "Kwame", "Adaeze", "Tunde", "Ngozi", "Kofi", "Zainab", "Emeka", "Ifeoma",
        "Marcus", "Jasmine", "Andre", "Imani", "Darnell", "Tiana",
    ),
    "malay": ("Ahmad", "Siti", "Hafiz", "Nurul", "Farid", "Aisyah", "Imran", "Zara"),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "anglo": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "Thomas", "Moore", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
        "Young", "Allen", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter", "Mitchell",
        "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris",
        "Hughes", "Cooper", "Ward", "Bennett", "Foster", "Hayes", "Palmer", "Fletcher", "Shaw", "Holland",
    ),
    "irish": (
        "Murphy", "Kelly", "O'Brien", "Byrne", "Ryan", "O'Sullivan", "Walsh", "Doyle", "McCarthy", "Gallagher",
        "Kennedy", "Brennan"
    ),
    "hispanic": (
        "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres",
        "Flores", "Rivera", "Gómez", "Díaz", "Morales", "Ortiz", "Castillo", "Romero", "Vargas", "Mendoza",
    ),
    "german": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
    ),
    "french": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefebvre", "Michel", "Garnier", "Rousseau", "Fontaine", "Chevalier", "Blanc", "Girard",
    ),
    "dutch": (
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    ),
    "swedish": (
        "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
        "Gustafsson", "Pettersson", "Lindberg", "Lindqvist", "Berg", "Holm", "Sjöberg",
    ),
    "italian": (
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
        "Bruno", "Gallo", "Conti", "De Luca",
    ),
    "polish": (
        "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
        "Szymański", "Woźniak"
    ),
    "turkish": ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan"),
    "arabic": (
        "Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Hamdan", "Farouk", "Aziz", "Rahman", "Karam", "Bakr",
        "Saad"
    ),
    "indian": (
        "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Mehta",
        "Shah", "Joshi", "Desai", "Menon", "Kapoor", "Chatterjee", "Bose", "Pillai", "Agarwal", "Verma",
    ),
    "chinese": (
        "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Lin", "Tan", "Lim", "Ng"
    ),
    "korean": ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"),
    "japanese": (
        "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"
    ),
    "brazilian": (
        "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Barbosa",
    ),
    "african": (
        "Okafor", "Adeyemi", "Mensah", "Okonkwo", "Boateng", "Eze", "Nwosu", "Asante", "Balogun", "Owusu",
        "Washington", "Jackson", "Robinson", "Brooks", "Coleman", "Freeman",
    ),
    "malay": ("Abdullah", "Ismail", "Hassan", "Ibrahim", "Rahim", "Yusof"),
}

# Where people and companies are. weight: share of accounts; cultures: who lives there (weights).
COUNTRIES: dict[str, tuple[float, dict[str, int]]] = {
    "US": (50, {"anglo": 52, "hispanic": 14, "indian": 8, "chinese": 6, "african": 7, "italian": 4, "irish": 3,
                "korean": 2, "arabic": 2, "polish": 2}),
    "CA": (6, {"anglo": 50, "french": 16, "chinese": 10, "indian": 10, "italian": 5, "irish": 4, "arabic": 3,
               "korean": 2}),
    "GB": (10, {"anglo": 68, "indian": 12, "irish": 6, "african": 5, "polish": 5, "arabic": 2, "chinese": 2}),
    "DE": (6, {"german": 76, "turkish": 12, "polish": 6, "italian": 4, "arabic": 2}),
    "FR": (4, {"french": 76, "arabic": 12, "african": 6, "italian": 3, "hispanic": 3}),
    "NL": (3, {"dutch": 80, "turkish": 8, "arabic": 6, "german": 3, "indian": 3}),
    "SE": (2, {"swedish": 82, "arabic": 8, "german": 4, "polish": 3, "turkish": 3}),
    "AU": (4, {"anglo": 62, "chinese": 12, "indian": 9, "italian": 7, "irish": 6, "korean": 2, "arabic": 2}),
    "IN": (4, {"indian": 100}),
    "BR": (3, {"brazilian": 92, "japanese": 4, "italian": 4}),
    "IE": (1.5, {"irish": 70, "anglo": 20, "polish": 10}),
    "ES": (1.5, {"hispanic": 90, "arabic": 6, "french": 4}),
    "MX": (1.5, {"hispanic": 100}),
    "SG": (1.5, {"chinese": 70, "malay": 15, "indian": 15}),
    "JP": (1, {"japanese": 100}),
}

# Country calling codes, for phone numbers.
CALLING_CODES: dict[str, str] = {
    "US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "NL": "31", "SE": "46", "AU": "61",
    "IN": "91", "BR": "55", "IE": "353", "ES": "34", "MX": "52", "SG": "65", "JP": "81",
}
US_AREA_CODES = ("212", "646", "415", "312", "617", "512", "206", "303", "404", "305", "213", "470", "720", "919")
CA_AREA_CODES = ("416", "604", "514", "403", "613")

# Web address endings by country; about half of the companies outside the US use .com anyway.
TLDS: dict[str, str] = {
    "US": "com", "CA": "ca", "GB": "co.uk", "DE": "de", "FR": "fr", "NL": "nl", "SE": "se", "AU": "com.au",
    "IN": "in", "BR": "com.br", "IE": "ie", "ES": "es", "MX": "com.mx", "SG": "sg", "JP": "jp",
}
GOVERNMENT_TLDS: dict[str, str] = {"US": "gov", "GB": "gov.uk", "AU": "gov.au", "CA": "gc.ca", "IN": "gov.in"}

CITIES: dict[str, tuple[str, ...]] = {
    "US": ("Springfield", "Riverside", "Fairview", "Madison", "Franklin", "Clinton", "Georgetown", "Salem",
           "Arlington", "Ashland", "Dover", "Oakland", "Burlington", "Manchester", "Lexington", "Marion"),
    "CA": ("Kingston", "Guelph", "Kelowna", "Halifax", "Regina"),
    "GB": ("Leeds", "Bristol", "Norwich", "York", "Bath", "Exeter", "Derby", "Reading"),
    "DE": ("Bremen", "Freiburg", "Leipzig", "Mainz", "Kassel"),
    "FR": ("Lyon", "Nantes", "Lille", "Rennes", "Grenoble"),
    "NL": ("Utrecht", "Leiden", "Delft", "Haarlem"),
    "SE": ("Uppsala", "Lund", "Malmo", "Orebro"),
    "AU": ("Geelong", "Ballarat", "Newcastle", "Wollongong"),
    "IN": ("Pune", "Mysuru", "Kochi", "Jaipur"),
    "BR": ("Campinas", "Curitiba", "Recife", "Santos"),
    "IE": ("Galway", "Cork", "Limerick"),
    "ES": ("Valencia", "Sevilla", "Bilbao"),
    "MX": ("Monterrey", "Puebla", "Queretaro"),
    "SG": ("Jurong", "Tampines"),
    "JP": ("Sendai", "Kobe", "Fukuoka"),
}

# Mailboxes people use when they sign up without a work address.
FREE_MAIL = (("gmail.com", 55), ("yahoo.com", 12), ("outlook.com", 14), ("hotmail.com", 10), ("icloud.com", 9))

# --------------------------------------------------------------------------- companies

# industry: (weight, revenue per employee in dollars, name endings)
INDUSTRIES: dict[str, tuple[float, int, tuple[str, ...]]] = {
    "Software": (
        22, 210_000,
        ("Software", "Labs", "Systems", "Cloud", "Data", "Analytics", "Technologies", "AI", "Digital", "Apps"),
    ),
    "Financial Services": (
        12, 380_000,
        ("Capital", "Financial", "Bank", "Partners", "Insurance", "Wealth", "Payments", "Credit Union", "Advisors"),
    ),
    "Healthcare": (
        12, 160_000,
        ("Health", "Medical", "Care", "Clinics", "Therapeutics", "Diagnostics", "Health System", "Biosciences"),
    ),
    "Manufacturing": (
        13, 260_000,
        ("Industries", "Manufacturing", "Components", "Works", "Precision", "Materials", "Fabrication", "Machinery"),
    ),
    "Retail": (9, 190_000, ("Outfitters", "Goods", "Market", "Stores", "Supply Co.", "Home", "Apparel", "Brands")),
    "Education": (6, 95_000, ("Academy", "Learning", "University", "College", "Schools", "Education")),
    "Media": (7, 230_000, ("Media", "Studios", "Publishing", "Press", "Entertainment", "Broadcasting")),
    "Logistics": (8, 210_000, ("Logistics", "Freight", "Shipping", "Transport", "Distribution", "Cargo")),
    "Professional Services": (7, 180_000, ("Consulting", "Group", "Advisory", "Partners", "Associates", "Solutions")),
    "Government": (4, 0, ()),
}

COMPANY_ROOTS = (
    "Acorn", "Alder", "Alpine", "Amber", "Anchor", "Apex", "Arbor", "Archway", "Arrow", "Aspen", "Atlas", "Aurora",
    "Avalon", "Azure", "Banyan", "Basalt", "Bay", "Beacon", "Birch", "Blackstone", "Bluebird", "Bluefin", "Bold",
    "Boulder", "Brightwater", "Brook", "Cardinal", "Cascade", "Cedar", "Centric", "Charter", "Cinder", "Clearwater",
    "Cobalt", "Compass", "Copper", "Coral", "Cornerstone", "Crescent", "Crest", "Cypress", "Delta", "Driftwood",
    "Eastwind", "Echo", "Elm", "Ember", "Emerald", "Evergreen", "Falcon", "Fern", "Fieldstone", "Firefly", "Flint",
    "Foxglove", "Frontier", "Galena", "Garnet", "Glacier", "Golden Gate", "Granite", "Greenleaf", "Harbor",
    "Harvest", "Hawthorn", "Heron", "Highland", "Horizon", "Indigo", "Iron Bridge", "Ironwood", "Ivory", "Jasper",
    "Juniper", "Keystone", "Kestrel", "Lakeside", "Lantern", "Larkspur", "Laurel", "Liberty", "Lighthouse", "Linden",
    "Lumen", "Magnolia", "Maple", "Marigold", "Meadow", "Meridian", "Mesa", "Millbrook", "Monarch", "Mosaic",
    "Northwind", "Nimbus", "Oak Ridge", "Oakmont", "Obsidian", "Onyx", "Orchard", "Orchid", "Osprey", "Pacific",
    "Palisade", "Paragon", "Pathway", "Peregrine", "Pine", "Pinnacle", "Pioneer", "Polaris", "Prairie", "Quarry",
    "Quill", "Radiant", "Rainier", "Redwood", "Ridgeline", "Riverbend", "Rockwell", "Saffron", "Sage", "Sapphire",
    "Sequoia", "Shoreline", "Sierra", "Silverline", "Skyline", "Solstice", "Spruce", "Starling", "Sterling",
    "Stonebridge", "Summit", "Sunrise", "Tamarack", "Teal", "Thistle", "Timber", "Topaz", "Trailhead", "Trident",
    "Tundra", "Twin Oaks", "Union", "Upland", "Valley", "Vanguard", "Vertex", "Vista", "Wavecrest", "Westbrook",
    "Whitepeak", "Willow", "Windward", "Wren", "Zenith",
)
# Made-up words for names like "Brightloop" or "Cloudnest".
COMPOUND_HEADS = ("Bright", "Cloud", "Data", "Swift", "Clear", "True", "Blue", "Open", "Smart", "Next", "Quick",
                  "Deep", "Flow", "Signal", "Core", "Hyper", "Lumi", "Omni", "Pixel", "Stack")
COMPOUND_TAILS = ("loop", "nest", "path", "wise", "grid", "forge", "line", "bridge", "scale", "ly", "hub", "spark",
                  "works", "stream", "field", "point", "shift", "mint", "wave", "base")

# --------------------------------------------------------------------------- job titles

# function: (weight, titles by seniority)
TITLES: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {
    "marketing": (28, {
        "individual": ("Marketing Specialist", "Demand Generation Specialist", "Content Marketing Specialist",
                       "Marketing Coordinator", "Digital Marketing Specialist", "Field Marketing Specialist"),
        "manager": ("Marketing Manager", "Demand Generation Manager", "Product Marketing Manager",
                    "Marketing Operations Manager", "Growth Marketing Manager", "Content Marketing Manager"),
        "director": ("Director of Marketing", "Director of Demand Generation", "Director of Product Marketing",
                     "Senior Director, Marketing"),
        "vp": ("VP Marketing", "VP of Growth Marketing", "Vice President, Marketing"),
        "c_level": ("Chief Marketing Officer",),
    }),
    "sales": (20, {
        "individual": ("Account Executive", "Sales Development Representative", "Business Development Representative",
                       "Inside Sales Representative"),
        "manager": ("Sales Manager", "Regional Sales Manager", "Inside Sales Manager"),
        "director": ("Director of Sales", "Sales Director", "Director of Sales, North America"),
        "vp": ("VP Sales", "VP of Sales", "Vice President, Sales"),
        "c_level": ("Chief Sales Officer",),
    }),
    "revops": (14, {
        "individual": ("Revenue Operations Analyst", "Sales Operations Analyst", "Marketing Operations Specialist",
                       "CRM Administrator"),
        "manager": ("Revenue Operations Manager", "Sales Operations Manager", "RevOps Manager"),
        "director": ("Director of Revenue Operations", "Director of Sales Operations", "Head of RevOps"),
        "vp": ("VP Revenue Operations", "VP of Sales Operations"),
        "c_level": ("Chief Revenue Officer",),
    }),
    "finance": (8, {
        "individual": ("Financial Analyst", "Accountant", "FP&A Analyst"),
        "manager": ("Finance Manager", "Controller"),
        "director": ("Director of Finance", "Director of FP&A"),
        "vp": ("VP Finance",),
        "c_level": ("Chief Financial Officer",),
    }),
    "technology": (12, {
        "individual": ("Software Engineer", "Data Analyst", "Systems Administrator", "Solutions Architect"),
        "manager": ("Engineering Manager", "IT Manager", "Data Engineering Manager"),
        "director": ("Director of Engineering", "Director of IT", "Director of Data"),
        "vp": ("VP Engineering", "VP Information Technology"),
        "c_level": ("Chief Technology Officer", "Chief Information Officer"),
    }),
    "operations": (8, {
        "individual": ("Operations Analyst", "Project Coordinator", "Business Analyst"),
        "manager": ("Operations Manager", "Program Manager"),
        "director": ("Director of Operations", "Director of Business Operations"),
        "vp": ("VP Operations",),
        "c_level": ("Chief Operating Officer",),
    }),
    "customer_success": (6, {
        "individual": ("Customer Success Specialist", "Onboarding Specialist", "Support Engineer"),
        "manager": ("Customer Success Manager", "Support Manager"),
        "director": ("Director of Customer Success",),
        "vp": ("VP Customer Success",),
        "c_level": ("Chief Customer Officer",),
    }),
    "people": (4, {
        "individual": ("HR Generalist", "Recruiter", "People Operations Specialist"),
        "manager": ("HR Manager", "Talent Acquisition Manager"),
        "director": ("Director of People",),
        "vp": ("VP People",),
        "c_level": ("Chief People Officer",),
    }),
}
# The top of a small company.
FOUNDER_TITLES = ("Founder & CEO", "Co-founder", "CEO", "Owner", "Managing Director")

# --------------------------------------------------------------------------- notes on hand-backs

# Notes a person writes when handing a contact back, by reason list and reason.
NOTES: dict[str, dict[str, tuple[str, ...]]] = {
    "reject": {
        "not_decision_maker": (
            "Spoke to the assistant; the buyer is their VP.",
            "Individual contributor; gave us the name of their director.",
        ),
        "no_budget": (
            "No budget this year; they run the funnel from spreadsheets.",
            "Three-person team; no budget line for tools.",
        ),
        "wrong_contact_data": (
            "Phone number bounces and the email is a shared inbox.",
            "The number belongs to someone else.",
        ),
        "already_in_pipeline": (
            "Already talking to our AE about the renewal.",
            "A colleague is in an open deal with us.",
        ),
        "other": (
            "Consultant researching tools for several clients; no project of their own.",
            "Duplicate of a contact we already work under another email.",
            "Works at a subsidiary that buys through the parent company.",
        ),
    },
    "recycle": {
        "not_ready": (
            "Likes the idea, but the team is mid-migration to a new CRM.",
            "Wants to see next quarter's roadmap first.",
        ),
        "no_response": ("Left three voicemails and five emails, no reply.", "Opened every email, answered none."),
        "timing": (
            "Budget opens in the new fiscal year; follow up then.",
            "Asked us to check back after their board meeting.",
        ),
        "other": (
            "Champion is on parental leave until next quarter.",
            "Company is being acquired; decisions are frozen until it closes.",
            "Waiting on a security review from their IT team.",
        ),
    },
    "disqualify": {
        "competitor": ("Works at a direct competitor.", "Product manager at a lead scoring vendor."),
        "student": ("Student writing a thesis on lead scoring.", "Job seeker who read the report before an interview."),
        "spam": ("Fake name and a disposable mailbox.", "Form filled in by a bot."),
        "out_of_territory": (
            "Based in a market we do not sell to.",
            "The company only operates where we have no presence.",
        ),
        "other": (
            "Reseller looking for a white-label deal; sent to partnerships.",
            "Personal project; no company behind it.",
        ),
    },
}
