"""One-off writer of the demo funding set (kept here only as the record of how it was made)."""

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "ossmetrics" / "data" / "funding"
ORG = "tidewater"


def cdx(name, version, direct, deps, comps, dev=()):
    components = []
    for purl, _repo in comps.items():
        n = purl.split("/")[-1].split("@")[0]
        c = {
            "bom-ref": purl,
            "type": "library",
            "name": n,
            "version": purl.split("@")[1],
            "purl": purl,
        }
        if purl in dev:
            c["properties"] = [{"name": "cdx:npm:package:development", "value": "true"}]
        components.append(c)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": version,
        "version": 1,
        "metadata": {
            "timestamp": "2025-08-30T00:00:00Z",
            "component": {
                "bom-ref": "root",
                "type": "application",
                "name": f"{ORG}/{name}",
                "externalReferences": [{"type": "vcs", "url": f"https://github.com/{ORG}/{name}"}],
            },
        },
        "components": components,
        "dependencies": [{"ref": "root", "dependsOn": direct}]
        + [{"ref": k, "dependsOn": v} for k, v in deps.items()],
    }


moment, react, lodash, karma, jas = (
    "pkg:npm/moment@2.29.4",
    "pkg:npm/react@18.3.1",
    "pkg:npm/lodash@4.17.21",
    "pkg:npm/karma@6.4.4",
    "pkg:npm/jasmine-core@5.1.2",
)
dash = cdx(
    "dashboard",
    "1.5",
    [moment, react, lodash, karma],
    {karma: [jas], react: [], moment: [], lodash: [], jas: []},
    {moment: 0, react: 0, lodash: 0, karma: 0, jas: 0},
    dev={karma, jas},
)
admin = cdx(
    "admin-ui",
    "1.5",
    [moment, lodash, karma],
    {karma: [jas], moment: [], lodash: [], jas: []},
    {moment: 0, lodash: 0, karma: 0, jas: 0},
    dev={karma, jas},
)
sq, req, hx, hc, click = (
    "pkg:pypi/sqlite-utils@3.37",
    "pkg:pypi/requests@2.32.3",
    "pkg:pypi/httpx@0.27.2",
    "pkg:pypi/httpcore@1.0.5",
    "pkg:pypi/click@8.1.7",
)
fab, inv, par, jq = (
    "pkg:pypi/fabric@3.2.2",
    "pkg:pypi/invoke@2.2.0",
    "pkg:pypi/paramiko@3.4.1",
    "pkg:github/jqlang/jq@jq-1.7.1",
)
# warehouse-sync runs its remote steps with fabric (added after the shipped model changed: see
# docs/funding.md, "The demo")
sync = cdx(
    "warehouse-sync",
    "1.6",
    [sq, req, hx, fab],
    {sq: [click], hx: [hc], req: [], hc: [], click: [], fab: [inv, par], inv: [], par: []},
    {sq: 0, req: 0, hx: 0, hc: 0, click: 0, fab: 0, inv: 0, par: 0},
)
deploy = cdx(
    "deploy",
    "1.4",
    [fab, jq],
    {fab: [inv, par], inv: [], par: [], jq: []},
    {fab: 0, inv: 0, par: 0, jq: 0},
)
bat, syn, serde = "pkg:cargo/bat@0.24.0", "pkg:cargo/syntect@5.2.0", "pkg:cargo/serde@1.0.209"
logv = cdx(
    "log-viewer",
    "1.6",
    [bat, serde],
    {bat: [syn, serde], syn: [serde], serde: []},
    {bat: 0, syn: 0, serde: 0},
)


def spdx_pkg(sid, purl, loc="NOASSERTION"):
    name = purl.split("/")[-1].split("@")[0]
    return {
        "SPDXID": sid,
        "name": name,
        "versionInfo": purl.split("@")[1],
        "downloadLocation": loc,
        "externalRefs": [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }
        ],
    }


api = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": f"{ORG}/ingest-api",
    "documentNamespace": f"https://example.invalid/spdx/{ORG}/ingest-api",
    "creationInfo": {
        "created": "2025-08-30T00:00:00Z",
        "creators": ["Organization: Tidewater (fictional)"],
    },
    "documentDescribes": ["SPDXRef-root"],
    "packages": [
        {
            "SPDXID": "SPDXRef-root",
            "name": "ingest-api",
            "downloadLocation": f"git+https://github.com/{ORG}/ingest-api",
        },
        spdx_pkg("SPDXRef-httpx", hx, "https://github.com/encode/httpx"),
        spdx_pkg("SPDXRef-httpcore", hc),
        spdx_pkg("SPDXRef-click", click),
        spdx_pkg("SPDXRef-sqlite-utils", sq),
        spdx_pkg("SPDXRef-pytest", "pkg:pypi/pytest@8.3.2"),
    ],
    "relationships": [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-root",
        },
        {
            "spdxElementId": "SPDXRef-root",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-httpx",
        },
        {
            "spdxElementId": "SPDXRef-root",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-click",
        },
        {
            "spdxElementId": "SPDXRef-root",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-sqlite-utils",
        },
        {
            "spdxElementId": "SPDXRef-httpx",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-httpcore",
        },
        {
            "spdxElementId": "SPDXRef-sqlite-utils",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-click",
        },
        {
            "spdxElementId": "SPDXRef-pytest",
            "relationshipType": "TEST_DEPENDENCY_OF",
            "relatedSpdxElement": "SPDXRef-root",
        },
    ],
}
for fname, doc in [
    ("dashboard.cdx.json", dash),
    ("admin-ui.cdx.json", admin),
    ("warehouse-sync.cdx.json", sync),
    ("deploy.cdx.json", deploy),
    ("log-viewer.cdx.json", logv),
    ("ingest-api.spdx.json", api),
]:
    (OUT / "sboms" / fname).write_text(json.dumps(doc, indent=1) + "\n")

# usage signals: (purl, repo, default version, deps.dev dependents, direct, eco dependent packages,
# dependent repos, downloads (last month), critical, rankings, funding links)
P = [
    (
        "pkg:npm/moment",
        "moment/moment",
        "2.30.1",
        240000,
        52000,
        51000,
        2900000,
        85000000,
        True,
        {"downloads": 0.05, "dependent_packages_count": 0.02, "dependent_repos_count": 0.01},
        [],
    ),
    (
        "pkg:npm/karma",
        "karma-runner/karma",
        "6.4.4",
        110000,
        14000,
        14500,
        620000,
        11000000,
        True,
        {"downloads": 0.4, "dependent_packages_count": 0.1, "dependent_repos_count": 0.1},
        [],
    ),
    (
        "pkg:npm/react",
        "facebook/react",
        "18.3.1",
        3000000,
        180000,
        175000,
        9000000,
        1000000000,
        True,
        {"downloads": 0.01, "dependent_packages_count": 0.01, "dependent_repos_count": 0.01},
        [],
    ),
    (
        "pkg:npm/lodash",
        "lodash/lodash",
        "4.17.21",
        2500000,
        170000,
        165000,
        8000000,
        950000000,
        True,
        {"downloads": 0.01, "dependent_packages_count": 0.01, "dependent_repos_count": 0.01},
        [],
    ),
    (
        "pkg:npm/jasmine-core",
        "jasmine/jasmine",
        "5.1.2",
        90000,
        3000,
        3100,
        700000,
        20000000,
        True,
        {"downloads": 0.3, "dependent_packages_count": 0.5},
        [],
    ),
    (
        "pkg:pypi/httpx",
        "encode/httpx",
        "0.27.2",
        52000,
        8800,
        8600,
        210000,
        240000000,
        True,
        {"downloads": 0.03, "dependent_packages_count": 0.05, "dependent_repos_count": 0.05},
        ["https://github.com/sponsors/encode"],
    ),
    (
        "pkg:pypi/httpcore",
        "encode/httpcore",
        "1.0.5",
        50000,
        300,
        310,
        150000,
        230000000,
        True,
        {"downloads": 0.03, "dependent_packages_count": 0.9},
        ["https://github.com/sponsors/encode"],
    ),
    (
        "pkg:pypi/fabric",
        "fabric/fabric",
        "3.2.2",
        4100,
        820,
        790,
        61000,
        8800000,
        True,
        {"downloads": 1.0, "dependent_packages_count": 0.6, "dependent_repos_count": 0.4},
        [],
    ),
    (
        "pkg:pypi/invoke",
        "pyinvoke/invoke",
        "2.2.0",
        9000,
        600,
        610,
        40000,
        20000000,
        True,
        {"downloads": 0.5, "dependent_packages_count": 0.8},
        [],
    ),
    (
        "pkg:pypi/paramiko",
        "paramiko/paramiko",
        "3.4.1",
        30000,
        2700,
        2650,
        190000,
        90000000,
        True,
        {"downloads": 0.1, "dependent_packages_count": 0.2},
        [],
    ),
    (
        "pkg:pypi/sqlite-utils",
        "simonw/sqlite-utils",
        "3.37",
        620,
        160,
        155,
        3200,
        1100000,
        False,
        {"downloads": 3.0, "dependent_packages_count": 2.5, "dependent_repos_count": 6.0},
        ["https://github.com/sponsors/simonw"],
    ),
    (
        "pkg:pypi/requests",
        "psf/requests",
        "2.32.3",
        600000,
        60000,
        59000,
        2500000,
        900000000,
        True,
        {"downloads": 0.01, "dependent_packages_count": 0.01, "dependent_repos_count": 0.01},
        [],
    ),
    (
        "pkg:pypi/click",
        "pallets/click",
        "8.1.7",
        180000,
        21000,
        20500,
        700000,
        300000000,
        True,
        {"downloads": 0.02, "dependent_packages_count": 0.02},
        ["https://github.com/sponsors/pallets"],
    ),
    (
        "pkg:cargo/bat",
        "sharkdp/bat",
        "0.24.0",
        310,
        55,
        57,
        1900,
        380000,
        False,
        {"downloads": 6.0, "dependent_packages_count": 4.5, "dependent_repos_count": 5.0},
        ["https://github.com/sponsors/sharkdp"],
    ),
    (
        "pkg:cargo/syntect",
        "trishume/syntect",
        "5.2.0",
        9000,
        260,
        255,
        9000,
        2500000,
        False,
        {"downloads": 1.2, "dependent_packages_count": 1.5},
        [],
    ),
    (
        "pkg:cargo/serde",
        "serde-rs/serde",
        "1.0.209",
        190000,
        48000,
        47000,
        500000,
        30000000,
        True,
        {"downloads": 0.01, "dependent_packages_count": 0.01},
        [],
    ),
    (
        "pkg:cargo/rls",
        "rust-lang/rls",
        "0.122.2",
        None,
        None,
        2,
        40,
        3000,
        False,
        {"downloads": 45.0, "dependent_packages_count": 60.0},
        [],
    ),
]
AS_OF = "2025-08-31T00:00:00+00:00"
rows = []
for purl, repo, ver, dependents, direct, dpk, drep, dl, crit, rank, funding in P:
    eco = purl.split(":")[1].split("/")[0]
    name = purl.split("/", 1)[1]
    system = {"npm": "NPM", "pypi": "PYPI", "cargo": "CARGO"}[eco]
    rows.append(
        {
            "source": "ecosystems",
            "key": purl,
            "status": 200,
            "fetched_at": AS_OF,
            "payload": {
                "name": name,
                "ecosystem": eco,
                "purl": purl,
                "repository_url": f"https://github.com/{repo}",
                "latest_release_number": ver,
                "dependent_packages_count": dpk,
                "dependent_repos_count": drep,
                "downloads": dl,
                "downloads_period": "last-month",
                "critical": crit,
                "rankings": {**rank, "average": round(sum(rank.values()) / len(rank), 3)},
                "funding_links": funding,
                "metadata": {},
            },
        }
    )
    rows.append(
        {
            "source": "depsdev",
            "key": purl,
            "status": 200,
            "fetched_at": AS_OF,
            "payload": {
                "versionKey": {"system": system, "name": name, "version": ver},
                "isDefault": True,
                "relatedProjects": [
                    {
                        "projectKey": {"id": f"github.com/{repo}"},
                        "relationProvenance": "UNVERIFIED_METADATA",
                        "relationType": "SOURCE_REPO",
                    }
                ],
            },
        }
    )
    if dependents is None:
        rows.append(
            {
                "source": "depsdev_dependents",
                "key": purl,
                "status": 404,
                "fetched_at": AS_OF,
                "payload": None,
            }
        )
    else:
        rows.append(
            {
                "source": "depsdev_dependents",
                "key": purl,
                "status": 200,
                "fetched_at": AS_OF,
                "payload": {
                    "dependentCount": dependents,
                    "directDependentCount": direct,
                    "indirectDependentCount": dependents - direct,
                    "version": ver,
                },
            }
        )
for src in ("ecosystems", "depsdev", "depsdev_dependents"):
    rows.append(
        {
            "source": src,
            "key": "pkg:github/jqlang/jq",
            "status": 404,
            "fetched_at": AS_OF,
            "payload": None,
        }
    )
(OUT / "cache.json").write_text(json.dumps(rows, indent=1) + "\n")
