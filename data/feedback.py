"""What training on your own pages (TRAIN_EXTRA) changed on them, for `train.py` to print and
write beside the model (`feedback.md`).

For each of the user's pages, word F1 against the user's labels: before, by the shipped model;
after, by the new model out of fold, that is, by the model of the fold that never saw the page
(each user page is a site of its own in the folds). Then the lines the user corrected (the
shipped model labelled them otherwise) that the new model still gets wrong: what to label more of.
"""

import numpy as np
import pandas as pd

from boilerline.artifact import ModelError
from boilerline.model import decisions, load_model, predict_lines
from boilerline.segment import Lines, cut_for_scoring

from .metrics import word_prf

LISTED_LINES = 40  # the still-wrong lines feedback.md lists, at most
SHOWN_CHARS = 100


def shipped_decisions(kind: str, lines: pd.DataFrame) -> np.ndarray | None:
    """Whether the shipped model keeps each line (the lines of whole pages, with their `page`
    groups); None when it cannot be loaded."""
    try:
        part = load_model().artifact[kind]
    except ModelError:
        return None
    scored = cut_for_scoring(Lines.of_frame(lines), lines["text"].tolist())
    return decisions(part, predict_lines(part, scored), scored)


def page_feedback(lines: pd.DataFrame, before: np.ndarray | None, after: np.ndarray) -> dict:
    """Per page of `lines` (`page_id`, `text`, `label`), F1 before and after and the lines
    corrected, still wrong and newly wrong; and the corrected lines still wrong, in order."""
    pages, still_wrong = [], []
    labels = lines["label"].to_numpy().astype(bool)
    before_keep = labels if before is None else before.astype(bool)  # without a shipped model nothing counts as corrected
    after_keep = after.astype(bool)
    for page_id, rows in lines.groupby("page_id", sort=False).indices.items():
        texts = lines["text"].to_numpy()[rows]
        gold = "\n".join(texts[labels[rows]])
        corrected = before_keep[rows] != labels[rows]
        wrong_after = after_keep[rows] != labels[rows]
        pages.append(
            {
                "page": page_id,
                "lines": len(rows),
                "corrected": int(corrected.sum()),
                "still_wrong": int((corrected & wrong_after).sum()),
                "newly_wrong": int((~corrected & wrong_after).sum()),
                "f1_before": None if before is None else round(word_prf("\n".join(texts[before_keep[rows]]), gold)[2], 4),
                "f1_after": round(word_prf("\n".join(texts[after_keep[rows]]), gold)[2], 4),
            }
        )
        for at in np.flatnonzero(corrected & wrong_after).tolist():
            still_wrong.append({"page": page_id, "line": at + 1, "label": int(labels[rows][at]), "text": str(texts[at])})
    return {
        "pages": pages,
        "f1_before": None if before is None else round(float(np.mean([page["f1_before"] for page in pages])), 4),
        "f1_after": round(float(np.mean([page["f1_after"] for page in pages])), 4),
        "corrected": sum(page["corrected"] for page in pages),
        "still_wrong": still_wrong,
        "newly_wrong": sum(page["newly_wrong"] for page in pages),
    }


def summary(feedback: dict) -> dict:
    """The numbers of a model's feedback, for its card."""
    return {
        "pages": len(feedback["pages"]),
        "f1_before": feedback["f1_before"],
        "f1_after_out_of_fold": feedback["f1_after"],
        "corrected_lines": feedback["corrected"],
        "corrected_still_wrong": len(feedback["still_wrong"]),
        "newly_wrong": feedback["newly_wrong"],
    }


MODEL_NAMES = {"html": "HTML model (your HTML pages)", "text": "text model (your plain-text pages)"}


def feedback_markdown(by_kind: dict[str, dict]) -> str:
    """feedback.md: each model's feedback on the user's pages of its kind."""
    parts = [
        "# Your pages, before and after training on them\n",
        "Word F1 of each of your pages against your labels. Before: the shipped model. After: the new model, "
        "out of fold: each page scored by the model of the training fold that never saw it (a third of your pages "
        "are left out of each), so it says how the new model does on pages like yours that it has not seen.\n",
    ]
    for kind, feedback in by_kind.items():
        parts.append(_kind_section(kind, feedback))
    return "\n".join(parts)


def _kind_section(kind: str, feedback: dict) -> str:
    before = "n/a" if feedback["f1_before"] is None else f"{feedback['f1_before']:.3f}"
    wrong = feedback["still_wrong"]
    lines = [
        f"## {MODEL_NAMES[kind]}: {len(feedback['pages'])} pages\n",
        f"Page-averaged word F1: {before} before, {feedback['f1_after']:.3f} after. You corrected {feedback['corrected']} "
        f"of the shipped model's labels; the new model still gets {len(wrong)} of them wrong, and gets {feedback['newly_wrong']} "
        "others wrong that the shipped model had right. Worst pages first; lines are numbered as `boilerline label` shows them.\n",
        "| page | lines | corrected | still wrong | newly wrong | F1 before | F1 after |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in sorted(feedback["pages"], key=lambda page: page["f1_after"]):
        f1_before = "n/a" if page["f1_before"] is None else f"{page['f1_before']:.3f}"
        lines.append(
            f"| {_cell(page_name(page['page']))} | {page['lines']} | {page['corrected']} | {page['still_wrong']} | {page['newly_wrong']} "
            f"| {f1_before} | {page['f1_after']:.3f} |"
        )
    if wrong:
        lines += [
            "\n### Corrected lines the new model still gets wrong: label more lines like these\n",
            "| page | line | your label | text |",
            "|---|---|---|---|",
            *(
                f"| {_cell(page_name(row['page']))} | {row['line']} | {'content' if row['label'] else 'boilerplate'} | {_cell(row['text'])} |"
                for row in wrong[:LISTED_LINES]
            ),
        ]
        if len(wrong) > LISTED_LINES:
            lines.append(f"\n... and {len(wrong) - LISTED_LINES} more.")
    return "\n".join(lines) + "\n"


def page_name(page_id: str) -> str:
    """A user's page as its file names it: its id less the dataset spec before it (`data.build.user_lines`)."""
    return page_id.rsplit("/", 1)[-1]


def _cell(text: str) -> str:
    """Text as one Markdown table cell."""
    text = " ".join(str(text).split())
    text = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."
    return text.replace("|", "\\|")
