"""A small, realistic stance DatasetDict (DESIGN.md section 3) built from hand-written rows.

The statements are modelled on the seed corpus (Russian-Japanese talks on the southern Kuril
Islands and a peace treaty). Used by the model, train and evaluate tests until (and besides)
the real `stance dataset` output.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

TARGETS = {
    "kuril_sovereignty": "Russian sovereignty over the southern Kuril Islands",
    "treaty_1956_basis": "A peace treaty on the basis of the 1956 Declaration",
    "japan_sanctions_g7": "Japan's sanctions and G7 alignment against Russia",
}

# (target, text, role, stance, holder, holder_type, genre)
ROWS: list[tuple[str, str, str, str, str, str, str]] = [
    ("kuril_sovereignty", "The southern Kuril Islands became part of the Soviet Union as a result of World War II, and this is enshrined in the UN Charter.", "Premise", "Favor", "Sergey Lavrov", "speaker", "press_conference"),
    ("kuril_sovereignty", "Russia's sovereignty over the islands is not up for discussion.", "Claim", "Favor", "Sergey Lavrov", "speaker", "press_conference"),
    ("kuril_sovereignty", "Recognition of the results of WWII isn't an ultimatum or a precondition.", "Claim", "Favor", "Sergey Lavrov", "speaker", "press_conference"),
    ("kuril_sovereignty", "The islands have been Russian territory for more than seventy years and their residents are Russian citizens.", "Premise", "Favor", "Maria Zakharova", "speaker", "press_conference"),
    ("kuril_sovereignty", "No Russian leader will ever hand over a piece of Russian land.", "Claim", "Favor", "TASS", "author", "news_report"),
    ("kuril_sovereignty", "The results of the war are final and cannot be revised.", "Claim", "Favor", "Sergey Lavrov", "speaker", "interview"),
    ("kuril_sovereignty", "Japan regards the Northern Territories as an inherent part of its territory.", "Claim", "Against", "Yoshihide Suga", "quoted", "news_report"),
    ("kuril_sovereignty", "The four islands were illegally occupied by the Soviet Union in 1945.", "Premise", "Against", "Kyodo News", "author", "news_report"),
    ("kuril_sovereignty", "Tokyo insists that the islands must be returned to Japan.", "Claim", "Against", "Kyodo News", "author", "news_report"),
    ("kuril_sovereignty", "Former residents of the islands still hope to return to their homes.", "Premise", "Against", "Hirofumi Sugizaki", "speaker", "press_conference"),
    ("kuril_sovereignty", "Japan never renounced its claim to Etorofu, Kunashiri, Shikotan and the Habomai islets.", "Premise", "Against", "Japan Times", "author", "news_report"),
    ("kuril_sovereignty", "The occupation of the Northern Territories is a violation of international law.", "Claim", "Against", "yamato_1987", "commenter", "news_with_comments"),
    ("kuril_sovereignty", "The minister arrived in Tokyo on Monday for two days of talks.", "None", "None", "TASS", "author", "news_report"),
    ("kuril_sovereignty", "Thank you, Maria Vladimirovna.", "None", "None", "Hirofumi Sugizaki", "speaker", "press_conference"),
    ("kuril_sovereignty", "The press conference lasted just over an hour.", "None", "None", "Kyodo News", "author", "news_report"),
    ("kuril_sovereignty", "Next question, please.", "None", "None", "Maria Zakharova", "speaker", "press_conference"),
    ("kuril_sovereignty", "The talks were held behind closed doors at the foreign ministry.", "None", "None", "Japan Times", "author", "news_report"),
    ("kuril_sovereignty", "Reporters gathered outside the building before noon.", "None", "None", "TASS", "author", "news_report"),
    ("treaty_1956_basis", "The 1956 Declaration was ratified by both parliaments and remains the only legal basis for a treaty.", "Premise", "Favor", "Sergey Lavrov", "speaker", "press_conference"),
    ("treaty_1956_basis", "We are ready to work towards a peace treaty on the basis of the 1956 Declaration.", "Claim", "Favor", "Vladimir Putin", "quoted", "news_report"),
    ("treaty_1956_basis", "Abe and Putin agreed to accelerate negotiations based on the 1956 joint declaration.", "Premise", "Favor", "Kyodo News", "author", "news_report"),
    ("treaty_1956_basis", "Signing the treaty on the 1956 terms would finally close the chapter of the war.", "Claim", "Favor", "sakhalin_fan", "commenter", "news_with_comments"),
    ("treaty_1956_basis", "The declaration gives a realistic path to a settlement that both sides can accept.", "Claim", "Favor", "Shinzo Abe", "quoted", "news_report"),
    ("treaty_1956_basis", "A treaty that gives back only two small islands would betray the former residents.", "Claim", "Against", "yamato_1987", "commenter", "news_with_comments"),
    ("treaty_1956_basis", "Japan cannot accept a deal limited to Shikotan and the Habomai islets.", "Claim", "Against", "Japan Times", "author", "news_report"),
    ("treaty_1956_basis", "The 1956 Declaration does not say under whose sovereignty the islands would be transferred.", "Premise", "Against", "Hirofumi Sugizaki", "speaker", "press_conference"),
    ("treaty_1956_basis", "Moscow reinterprets the declaration whenever it suits it, so it is no basis at all.", "Claim", "Against", "tokyo_reader", "commenter", "news_with_comments"),
    ("treaty_1956_basis", "Relying on the 1956 text would mean giving up the claim to the two larger islands.", "Premise", "Against", "Kyodo News", "author", "news_report"),
    ("treaty_1956_basis", "Negotiations resumed in Singapore in November.", "None", "None", "Kyodo News", "author", "news_report"),
    ("treaty_1956_basis", "The delegations exchanged documents at the start of the meeting.", "None", "None", "TASS", "author", "news_report"),
    ("treaty_1956_basis", "The next round is scheduled for the spring.", "None", "None", "Japan Times", "author", "news_report"),
    ("treaty_1956_basis", "The interview was recorded in Moscow.", "None", "None", "TASS", "author", "interview"),
    ("treaty_1956_basis", "I would like to ask a question about the schedule.", "None", "None", "Hirofumi Sugizaki", "speaker", "press_conference"),
    ("treaty_1956_basis", "Both ministers spoke to journalists after lunch.", "None", "None", "Kyodo News", "author", "news_report"),
    ("japan_sanctions_g7", "Japan joined the G7 sanctions because an attack on Ukraine is an attack on the international order.", "Premise", "Favor", "Fumio Kishida", "quoted", "news_report"),
    ("japan_sanctions_g7", "Tokyo must stand with its G7 partners and keep the sanctions in place.", "Claim", "Favor", "Japan Times", "author", "news_report"),
    ("japan_sanctions_g7", "The sanctions are a necessary response to Russia's actions.", "Claim", "Favor", "tokyo_reader", "commenter", "news_with_comments"),
    ("japan_sanctions_g7", "Solidarity with Western partners strengthens Japan's security.", "Premise", "Favor", "Fumio Kishida", "quoted", "news_report"),
    ("japan_sanctions_g7", "Japan's sanctions make any dialogue on a peace treaty impossible.", "Claim", "Against", "Sergey Lavrov", "speaker", "press_conference"),
    ("japan_sanctions_g7", "By joining the Western sanctions Tokyo has chosen confrontation over cooperation.", "Claim", "Against", "Maria Zakharova", "speaker", "press_conference"),
    ("japan_sanctions_g7", "The sanctions hurt Japanese companies in Sakhalin more than they hurt Russia.", "Premise", "Against", "sakhalin_fan", "commenter", "news_with_comments"),
    ("japan_sanctions_g7", "Japan blindly follows Washington instead of defending its own interests.", "Claim", "Against", "TASS", "author", "news_report"),
    ("japan_sanctions_g7", "The list of sanctioned individuals was published on Friday.", "None", "None", "Kyodo News", "author", "news_report"),
    ("japan_sanctions_g7", "The G7 summit will take place in Hiroshima in May.", "None", "None", "Japan Times", "author", "news_report"),
    ("japan_sanctions_g7", "The ministry declined to comment on the report.", "None", "None", "TASS", "author", "news_report"),
    ("japan_sanctions_g7", "Good afternoon, colleagues.", "None", "None", "Maria Zakharova", "speaker", "press_conference"),
    ("japan_sanctions_g7", "The measures take effect at midnight local time.", "None", "None", "Kyodo News", "author", "news_report"),
    ("japan_sanctions_g7", "The statement was released in both English and Japanese.", "None", "None", "Japan Times", "author", "news_report"),
]

ROLE_NAMES = ["None", "Claim", "Premise"]
STANCE_NAMES = ["None", "Favor", "Against"]


def _split_of(i: int) -> str:
    # Deterministic 4:1:1 split that keeps every class of every target in train.
    return {4: "validation", 5: "test"}.get(i % 6, "train")


def fixture_rows() -> list[dict[str, Any]]:
    """The hand-written rows with every DESIGN.md section 3 column, and a ``split`` key."""
    out = []
    per_target: dict[str, int] = {}
    for target, text, role, stance, holder, holder_type, genre in ROWS:
        k = per_target[target] = per_target.get(target, -1) + 1
        doc = f"doc_{int(hashlib.sha1((holder + genre).encode()).hexdigest(), 16) % 7}"
        sid = f"{doc}:{hashlib.sha1(text.encode()).hexdigest()[:10]}"
        out.append({
            "id": f"{sid}|{target}", "task_id": 1000 + len(out), "statement_id": sid, "doc_id": doc,
            "text": text, "target": target, "target_text": TARGETS[target], "holder": holder,
            "holder_type": holder_type, "genre": genre, "role": ROLE_NAMES.index(role),
            "stance": STANCE_NAMES.index(stance),
            "annotations": [{"annotator": "a1", "role": role, "stance": stance, "lead_time": 12.5,
                             "updated_at": "2026-11-20T10:00:00Z"}],
            "n_annotators": 1, "tie": False, "ground_truth": False, "split": _split_of(k),
        })
    return out


def _agreement(control: str, target: str | None, kappa: float, alpha: float, observed: float) -> dict[str, Any]:
    # Same fields as stance.agreement.ControlAgreement.to_dict().
    return {"control": control, "target": target, "n_items": 40, "n_annotators": 2, "cohen_kappa": kappa,
            "fleiss_kappa": kappa, "fleiss_items": 40, "krippendorff_alpha": alpha, "observed": observed, "pairs": []}


def build_dataset(data_dir: Path, *, rows: list[dict[str, Any]] | None = None, with_info: bool = True,
                  drop_columns: tuple[str, ...] = (), schema_version: str = "1") -> Path:
    """Write a DatasetDict (train/validation/test) plus ``stance_dataset.json`` into ``data_dir``."""
    import datasets

    rows = fixture_rows() if rows is None else rows
    features = datasets.Features({
        "id": datasets.Value("string"), "task_id": datasets.Value("int64"), "statement_id": datasets.Value("string"),
        "doc_id": datasets.Value("string"), "text": datasets.Value("string"), "target": datasets.Value("string"),
        "target_text": datasets.Value("string"), "holder": datasets.Value("string"),
        "holder_type": datasets.Value("string"), "genre": datasets.Value("string"),
        "role": datasets.ClassLabel(names=ROLE_NAMES), "stance": datasets.ClassLabel(names=STANCE_NAMES),
        "annotations": [{"annotator": datasets.Value("string"), "role": datasets.Value("string"),
                         "stance": datasets.Value("string"), "lead_time": datasets.Value("float64"),
                         "updated_at": datasets.Value("string")}],
        "n_annotators": datasets.Value("int64"), "tie": datasets.Value("bool"), "ground_truth": datasets.Value("bool"),
    })
    splits = {}
    for name in ("train", "validation", "test"):
        part = [{k: v for k, v in r.items() if k != "split"} for r in rows if r["split"] == name]
        cols = {k: [r[k] for r in part] for k in features}
        splits[name] = datasets.Dataset.from_dict(cols, features=features)
    dd = datasets.DatasetDict(splits)
    if drop_columns:
        dd = dd.remove_columns(list(drop_columns))
    dd.save_to_disk(str(data_dir))
    if with_info:
        info = {"format": "stance.dataset.v1", "schema_version": schema_version, "guidelines_version": "1",
                "agreement": {"mode": "pair", "spans": None, "controls": [
                    _agreement("role", None, 0.58, 0.57, 0.74),
                    _agreement("stance", None, 0.71, 0.70, 0.82),
                    _agreement("stance", "kuril_sovereignty", 0.78, 0.77, 0.87),
                    _agreement("stance", "treaty_1956_basis", 0.64, 0.63, 0.78),
                ]}}
        (Path(data_dir) / "stance_dataset.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return Path(data_dir)
