"""The words the demo data is made of: names, companies, roles, markets, pages, content.

Plain constants, ASCII only (emails and domains are built from them), no quotes or backslashes.
The generator draws indexes into these lists with numpy; a test checks they stay JSON-safe.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aarav", "Ada", "Adam", "Aisha", "Alejandro", "Alice", "Amara", "Ana", "Anders", "Anna",
    "Ben", "Camille", "Carlos", "Chen", "Chloe", "Daniel", "David", "Diego", "Elena", "Emily",
    "Emma", "Erik", "Fatima", "Felix", "Grace", "Hannah", "Hiro", "Ingrid", "Isabel", "Ivan",
    "Jack", "James", "Jonas", "Julia", "Kai", "Karin", "Laura", "Leon", "Lina", "Lucas",
    "Maria", "Mateo", "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Nora", "Olivia", "Omar",
    "Paul", "Priya", "Rafael", "Ravi", "Sara", "Sofia", "Thomas", "Wei", "Yuki", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Andersson", "Bakker", "Bernard", "Brown", "Chen", "Costa", "Dubois", "Fischer", "Garcia",
    "Gupta", "Hansen", "Hernandez", "Ito", "Jansen", "Johnson", "Kim", "Kowalski", "Kumar",
    "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Miller", "Moreau", "Muller", "Nakamura",
    "Nguyen", "Nilsson", "Novak", "OConnor", "Okafor", "Patel", "Peters", "Rossi", "Santos",
    "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thompson", "Visser",
    "Wagner", "Walker", "Wang", "Weber", "Williams", "Wilson", "Wong", "Yamamoto", "Zhang",
)  # fmt: skip

COMPANY_WORDS = (
    "Acme", "Apex", "Arbor", "Atlas", "Aurora", "Beacon", "Birch", "Blue", "Bright", "Cedar",
    "Cobalt", "Copper", "Crest", "Delta", "Ember", "Falcon", "Fern", "Granite", "Harbor", "Helix",
    "Horizon", "Indigo", "Iron", "Juniper", "Keystone", "Lumen", "Maple", "Meridian", "Nimbus",
    "North", "Nova", "Oak", "Orbit", "Pine", "Pioneer", "Quartz", "Redwood", "River", "Sage",
    "Silver", "Spark", "Summit", "Tidal", "Vertex", "Willow", "Zenith",
)  # fmt: skip
COMPANY_NOUNS = (
    "Analytics", "Bank", "Cloud", "Commerce", "Data", "Dynamics", "Foods", "Freight", "Health",
    "Insights", "Labs", "Learning", "Logic", "Media", "Networks", "Partners", "Retail", "Robotics",
    "Software", "Systems", "Works",
)  # fmt: skip
COMPANY_FORMS = ("", " Inc", " Ltd", " GmbH", " Group", " Co")
FREE_MAIL_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com")

INDUSTRIES = (
    "Software", "Financial Services", "E-commerce", "Healthcare Technology", "Manufacturing",
    "Education", "Retail", "Media", "Consulting", "Logistics", "Government", "Non-profit",
    "Telecommunications", "Real Estate",
)  # fmt: skip
INDUSTRY_WEIGHTS = (18, 10, 9, 6, 10, 6, 7, 5, 8, 6, 3, 3, 4, 5)
TARGET_INDUSTRIES = frozenset({"Software", "Financial Services", "E-commerce"})

COUNTRIES = (
    "US", "GB", "DE", "FR", "CA", "NL", "SE", "AU", "IN", "BR", "ES", "IT", "JP", "SG", "PL", "MX",
)  # fmt: skip
COUNTRY_WEIGHTS = (34, 10, 8, 6, 5, 3, 2, 4, 8, 5, 3, 3, 2, 2, 3, 2)
SERVED_COUNTRIES = frozenset({"US", "CA", "GB", "DE", "FR", "NL", "SE", "AU"})
TLDS = {"GB": ".co.uk", "DE": ".de", "FR": ".fr", "NL": ".nl", "SE": ".se", "AU": ".com.au"}

COMPANY_TYPES = ("prospect", "customer", "partner", "competitor", "reseller")
COMPANY_TYPE_WEIGHTS = (82, 8, 4, 3, 3)

LEAD_SOURCES = ("organic search", "paid search", "social", "referral", "event", "outbound")
LEAD_SOURCE_WEIGHTS = (30, 20, 15, 10, 10, 15)

# Seniority levels, most senior first, with how often they appear among contacts.
SENIORITIES = ("c-level", "vp", "head", "director", "manager", "individual", "student")
SENIORITY_WEIGHTS = (5, 6, 7, 10, 24, 40, 8)

DEPARTMENTS = (
    "Marketing", "Sales", "Revenue Operations", "Growth", "Engineering", "Product", "Finance",
    "Human Resources", "Operations", "Customer Success", "IT",
)  # fmt: skip
DEPARTMENT_WEIGHTS = (24, 18, 5, 4, 14, 8, 6, 5, 6, 6, 4)
TARGET_DEPARTMENTS = frozenset({"Marketing", "Sales", "Revenue Operations", "Growth"})

C_LEVEL = {
    "Marketing": ("CMO", "Chief Marketing Officer"),
    "Sales": ("CRO", "Chief Revenue Officer"),
    "Revenue Operations": ("Chief Revenue Officer",),
    "Growth": ("Chief Growth Officer", "Founder"),
    "Engineering": ("CTO", "Co-Founder & CTO"),
    "Product": ("Chief Product Officer",),
    "Finance": ("CFO",),
    "Human Resources": ("Chief People Officer",),
    "Operations": ("COO", "CEO", "Founder & CEO"),
    "Customer Success": ("Chief Customer Officer",),
    "IT": ("CIO",),
}
INDIVIDUAL = {
    "Marketing": (
        "Marketing Specialist", "Content Writer", "SEO Specialist", "Growth Marketer",
        "Lead Generation Specialist", "Marketing Coordinator",
    ),
    "Sales": ("Account Executive", "Sales Development Representative", "Sales Representative"),
    "Revenue Operations": ("RevOps Analyst", "Sales Operations Analyst"),
    "Growth": ("Growth Analyst", "Performance Marketer"),
    "Engineering": ("Software Engineer", "Data Engineer", "Senior Software Engineer"),
    "Product": ("Product Designer", "Product Analyst"),
    "Finance": ("Accountant", "Financial Analyst"),
    "Human Resources": ("Recruiter", "HR Generalist"),
    "Operations": ("Operations Analyst", "Office Administrator"),
    "Customer Success": ("Customer Success Specialist", "Support Specialist"),
    "IT": ("Systems Administrator", "IT Specialist"),
}  # fmt: skip
STUDENT_TITLES = ("Student", "MBA Student", "{d} Intern", "Intern")


def job_titles(seniority: str, department: str) -> tuple[str, ...]:
    """The job titles of a seniority level in a department (a few variants each)."""
    d = department
    if seniority == "c-level":
        return C_LEVEL[d]
    if seniority == "vp":
        return (f"VP of {d}", f"Vice President, {d}", f"VP {d}")
    if seniority == "head":
        return (f"Head of {d}",)
    if seniority == "director":
        return (f"Director of {d}", f"{d} Director", f"Senior Director, {d}")
    if seniority == "manager":
        return (f"{d} Manager", f"Senior {d} Manager", f"{d} Team Lead")
    if seniority == "individual":
        return INDIVIDUAL[d]
    return tuple(t.format(d=d) for t in STUDENT_TITLES)


# Web pages by section; the section decides how strongly intent drives visits.
PAGES = {
    "home": ("/",),
    "blog": (
        "/blog/lead-scoring-101", "/blog/mql-vs-sql", "/blog/b2b-funnel-benchmarks-2025",
        "/blog/intent-data-explained", "/blog/email-nurture-playbook", "/blog/abm-for-startups",
        "/blog/revops-metrics", "/blog/predictive-scoring-myths",
    ),
    "product": (
        "/product", "/product/scoring", "/product/integrations", "/product/analytics",
        "/product/security", "/customers",
    ),
    "docs": ("/docs", "/docs/getting-started", "/docs/api", "/docs/model-spec", "/docs/webhooks"),
    "pricing": ("/pricing",),
    "enterprise": ("/pricing/enterprise",),
    "careers": ("/careers", "/careers/open-roles"),
}  # fmt: skip
UTM_SOURCES = ("google", "linkedin", "newsletter", "partner")

ASSETS = (
    ("whitepaper", "The State of B2B Lead Scoring 2025"),
    ("whitepaper", "Predictive Scoring Without a Data Team"),
    ("ebook", "The MQL Handbook"),
    ("ebook", "Email Nurture That Converts"),
    ("ebook", "RevOps From Zero"),
    ("case-study", "How Atlas Cloud Doubled Pipeline"),
    ("case-study", "Meridian Bank: Faster Sales Follow-up"),
    ("report", "B2B Funnel Benchmarks"),
    ("checklist", "Lead Routing Checklist"),
)
WEBINAR_TOPICS = (
    "Scoring leads your sales team trusts",
    "From MQL to revenue: a live teardown",
    "Intent signals that matter",
    "Building a fit x engagement matrix",
    "Backtesting your scoring model",
    "ABM on a startup budget",
)
EMAIL_KINDS = ("newsletter", "product-update", "nurture", "event-invite")
NEWSLETTER_FORMS = ("footer-newsletter", "blog-popup", "webinar-optin")
TRIAL_PLANS = ("starter", "growth", "business")
DEAL_PLANS = ("Growth", "Business", "Enterprise")
