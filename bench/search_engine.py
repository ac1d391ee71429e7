"""Micro-benchmark for a catalog search engine on its own: Whoosh (``catalog/search/engine/``) or
PostgreSQL (``catalog/search/pg/``), without Flask.

Not a test. Generates N synthetic smart-city listings (seeded, so runs are comparable), times a full
rebuild, then times a mix of 1-3 word queries with and without facet filters::

    python bench/search_engine.py --n 50000
    python bench/search_engine.py --n 50000 --engine postgres --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

PostgreSQL needs a database of its own: its schema is dropped and migrated afresh (so the name must
contain "bench"), and the documents' foreign key to listings is dropped (these listings exist only as
documents).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from catalog.search import PostgresEngine, SearchEngine, WhooshEngine  # noqa: E402

CATEGORY_WORDS = {
    "lighting": """led streetlight street lighting luminaire dimming controller photocell adaptive node retrofit pole
        lamp lumen fixture roadway pedestrian wattage glare dark-sky colour temperature dali zhaga nema
        outage burn-hour schedule dusk dawn floodlight bollard tunnel underpass park path""",
    "parking": """parking sensor occupancy bay meter enforcement garage curb kerb payment permit guidance signage
        lot space plate recognition citation turnover loading zone ticket overstay disabled resident
        wayfinding camera app reservation pricing demand ground magnetometer""",
    "mobility": """traffic signal intersection transit bus bike scooter micromobility routing congestion corridor
        counting priority multimodal ridership travel time crossing junction detection lane speed
        journey passenger timetable shelter fare dock share pedestrian cyclist""",
    "water": """water leak detection meter pressure flow stormwater flood sewer quality pipe hydrant acoustic
        utility reservoir irrigation overflow drainage gauge level river rainfall valve pump wastewater
        turbidity chlorine main burst network consumption billing""",
    "energy": """energy solar battery storage microgrid demand response grid efficiency metering photovoltaic
        inverter load peak tariff carbon building audit consumption heat pump district heating submeter
        renewable generation export resilience outage backup""",
    "ev_charging": """ev charging charger station level fast ocpp fleet electric vehicle curbside load connector
        kilowatt depot rapid socket cable roaming session tariff booking bus depot smart balancing
        lamppost dc ac public private workplace""",
    "connectivity": """wifi fiber 5g lorawan gateway network broadband small cell mesh backhaul cellular coverage
        hotspot antenna duct router spectrum nb-iot private public access point latency bandwidth
        rural digital inclusion tower""",
    "public_safety": """camera video gunshot detection emergency dispatch surveillance alert incident response
        evacuation siren body-worn cctv analytics crowd police fire ambulance call warning flood
        wildfire smoke panic button licence privacy""",
    "environment": """air quality noise monitoring particulate ozone weather heat emissions climate pollen humidity
        station nitrogen dioxide pm2.5 pm10 index forecast tree canopy biodiversity soil moisture
        greenspace island temperature rain""",
    "waste": """waste bin fill level collection route optimization recycling compactor landfill container pickup
        organics litter overflow dumpster glass textile food bulky depot vehicle weighing rfid tag
        contamination street cleaning""",
    "buildings": """hvac building automation occupancy thermostat retrofit facility maintenance twin ventilation
        boiler chiller lighting controls energy management bms room booking desk indoor air comfort
        school library pool depot asset""",
    "data_platforms": """data platform dashboard analytics open api integration twin gis cloud visualization
        portal warehouse catalogue lake pipeline ingestion governance privacy identity interoperable
        standards report kpi alerting machine learning""",
}


def _words(text: str) -> list[str]:
    return text.split()


CATEGORY_WORDS = {category: _words(words) for category, words in CATEGORY_WORDS.items()}
GENERIC_WORDS = _words("""smart city municipal cloud real-time monitoring management system solution integrated scalable
    secure remote reporting installation support service hardware software subscription sensor wireless iot
    network analytics deployment pilot savings performance cities residents council maintenance warranty
    training onboarding mobile app web portal dashboard alerts open standards interoperable procurement
    framework proven reliable low-cost energy-efficient sustainable resilient accessible operator staff
    field crews asset lifecycle upgrade replacement modular hosted on-premise managed vendor partner
    county town district region community""")
FILLER = _words("the a of for and with to in on by our your across at from into every each all more less")
TITLE_HEADS = ["Smart", "Adaptive", "Connected", "Integrated", "Cloud", "Wireless", "Managed", "Open"]
TITLE_TAILS = ["Controller", "Sensor", "Platform", "Network", "System", "Service", "Suite", "Kit"]
STANDARDS = [
    "OCPP 1.6", "OCPP 2.0.1", "ISO 15118", "LoRaWAN", "MQTT", "NGSI-LD", "FIWARE", "OpenAPI", "TALQ",
    "DALI-2", "Zhaga Book 18", "NEMA 7-pin", "BACnet", "Modbus", "ONVIF", "GTFS", "GBFS", "MDS",
    "OGC SensorThings", "IEEE 2030.5", "OpenADR",
]
PRICE_ITEMS = [
    "controller node", "installation per pole", "annual software licence", "sensor unit", "gateway",
    "support plan", "training day", "data subscription", "maintenance visit", "charging port",
]
PRICING_MODELS = ["purchase", "as_a_service", "revenue_share", "vendor_financed"]
CATEGORIES = list(CATEGORY_WORDS)
TYPICAL_QUERIES = [
    "street lighting", "parking sensor", "air quality", "ev charging", "leak detection", "smart",
    "traffic signal", "waste collection", "camera", "solar battery", "lorawan gateway", "dashboard",
    "led retrofit", "occupancy", "flood sensor", "fleet charging", "noise monitoring", "microgrid",
    "adaptive lighting controller", "smart parking", "open data platform", "gunshot detection",
]


def _zipf(words: list[str]) -> list[float]:
    """Word-choice weights: a few words are very common, most are rare, as in real text."""
    return [1 / (rank + 1) for rank in range(len(words))]


def make_listings(n: int, consortia: int, vendors: int, seed: int = 7) -> list[dict]:
    """Return ``n`` synthetic listing documents in the shape ``WhooshEngine`` expects."""
    rng = random.Random(seed)
    vendor_home = {v: rng.sample(range(1, consortia + 1), k=min(consortia, rng.choice((1, 1, 2))))
                   for v in range(1, vendors + 1)}
    generic = (GENERIC_WORDS, _zipf(GENERIC_WORDS))
    docs = []
    for listing_id in range(1, n + 1):
        vendor = rng.randint(1, vendors)
        category = rng.choice(CATEGORIES)
        topical = (CATEGORY_WORDS[category], _zipf(CATEGORY_WORDS[category]))
        title = " ".join([rng.choice(TITLE_HEADS), *rng.choices(topical[0], topical[1], k=2),
                          rng.choice(TITLE_TAILS)]).title()
        docs.append({
            "id": listing_id,
            "consortium_id": rng.choice(vendor_home[vendor]),
            "title": title,
            "summary": _sentence(rng, topical, generic, 12),
            "description": " ".join(_sentence(rng, topical, generic, rng.randint(8, 20))
                                    for _ in range(rng.randint(3, 8))),
            "tags": rng.sample(topical[0], 3),
            "standards": rng.sample(STANDARDS, rng.randint(0, 3)),
            "price_item_names": rng.sample(PRICE_ITEMS, rng.randint(1, 4)),
            "category": category,
            "pricing_models": rng.sample(PRICING_MODELS, rng.randint(1, 3)),
            "vendor_id": vendor,
            "vendor_name": f"Vendor {vendor} Ltd",
            "proven": rng.random() < 0.2,
        })
    return docs


def _sentence(rng: random.Random, topical, generic, length: int) -> str:
    words = []
    for roll in (rng.random() for _ in range(length)):
        if roll < 0.5:
            words.append(rng.choices(*topical)[0])
        elif roll < 0.8:
            words.append(rng.choices(*generic)[0])
        else:
            words.append(rng.choice(FILLER))
    return " ".join(words).capitalize() + "."


def make_searches(count: int, consortia: int, vendors: int, seed: int = 11) -> list[dict]:
    """Return ``count`` search keyword-argument dicts: 1-3 word queries mixed with facet filters."""
    rng = random.Random(seed)
    searches = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:
            q = rng.choice(TYPICAL_QUERIES)
        elif roll < 0.8:  # a topic's words, the popular ones more often
            words = CATEGORY_WORDS[rng.choice(CATEGORIES)]
            q = " ".join(dict.fromkeys(rng.choices(words, _zipf(words), k=rng.randint(1, 3))))
        elif roll < 0.9:  # a catalogue-wide word such as "platform" or "sensor"
            q = rng.choices(GENERIC_WORDS, _zipf(GENERIC_WORDS))[0]
        else:
            q = ""
        kwargs = {"consortium_id": rng.randint(1, consortia), "q": q, "page": rng.choice((1, 1, 1, 2, 3))}
        if rng.random() < 0.35:
            kwargs["category"] = rng.choice(CATEGORIES)
        if rng.random() < 0.2:
            kwargs["pricing_model"] = rng.choice(PRICING_MODELS)
        if rng.random() < 0.2:
            kwargs["proven"] = True
        if rng.random() < 0.05:
            kwargs["vendor_id"] = rng.randint(1, vendors)
        searches.append(kwargs)
    return searches


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


@contextmanager
def _engine(args, folder: Path) -> Iterator[tuple[SearchEngine, Callable[[], None]]]:
    """The engine asked for, and what makes its writes visible (a commit on PostgreSQL)."""
    if args.engine == "whoosh":
        yield WhooshEngine(args.index_dir or folder / "index"), lambda: None
        return
    from flask_migrate import upgrade

    from bench.search import quiet_logs, reset_database
    from marketplace import create_app

    if not args.database_url:
        raise SystemExit("--engine postgres needs --database-url postgresql+psycopg://...")
    reset_database(args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SEARCH_INDEX_DIR": str(folder / "index"),
                      "TESTING": False})
    with app.app_context():
        upgrade()
    quiet_logs()
    database = create_engine(args.database_url)
    try:
        with database.connect() as connection:
            connection.execute(text("ALTER TABLE search_document "
                                    "DROP CONSTRAINT fk_search_document_listing_id_listing"))
            connection.commit()

            def commit() -> None:
                connection.commit()
                connection.execute(text("ANALYZE search_document"))  # as autovacuum would, soon
                connection.commit()

            yield PostgresEngine(lambda: connection), commit
    finally:
        database.dispose()


def _timed(index: SearchEngine, searches: list[dict]) -> tuple[list[float], list[int]]:
    timings, totals = [], []
    for kwargs in searches:
        started = time.perf_counter()
        result = index.search(**kwargs)
        timings.append((time.perf_counter() - started) * 1000)
        totals.append(result.total)
    return timings, totals


def _summary(label: str, timings: list[float]) -> str:
    return (f"{label}: p50 {_percentile(timings, 50):.1f} ms, p95 {_percentile(timings, 95):.1f} ms, "
            f"max {max(timings):.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="number of listings")
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--consortia", type=int, default=4)
    parser.add_argument("--vendors", type=int, default=400)
    parser.add_argument("--index-dir", help="keep the Whoosh index here instead of a temporary directory")
    parser.add_argument("--engine", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument("--database-url", help="for --engine postgres: a database whose name contains 'bench'")
    args = parser.parse_args(argv)

    docs = make_listings(args.n, args.consortia, args.vendors)
    searches = make_searches(args.searches, args.consortia, args.vendors)
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as tmp, _engine(args, Path(tmp)) as (index, commit):
        started = time.perf_counter()
        index.rebuild(docs, total=len(docs))
        commit()
        print(f"{args.engine} rebuild: {len(docs)} listings in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        index.search(1)
        print(f"first search (opens the index, reads facet columns): {(time.perf_counter() - started) * 1000:.0f} ms")

        timings, totals = _timed(index, searches)
        print(f"{len(searches)} searches, median {statistics.median(totals):.0f} hits, "
              f"{sum(1 for s in searches if len(s) > 3)} with filters")
        print(_summary("  first pass (postings read from disk as words come up)", timings))
        print(_summary("  second pass (same searches, postings cached)", _timed(index, searches)[0]))

        for q in ("strret lihgting", "parkng sensr", "air qualty"):
            started = time.perf_counter()
            result = index.search(1, q)
            print(f"typo {q!r}: suggestion {result.suggestion!r}, {(time.perf_counter() - started) * 1000:.1f} ms")

        started = time.perf_counter()
        index.index(docs[:100])
        commit()
        upsert_ms = (time.perf_counter() - started) * 1000
        print(f"index() of 100 listings: {upsert_ms:.0f} ms")
        print(_summary("  searches after the index() (new index version, caches start empty)",
                       _timed(index, searches)[0]))
        print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
