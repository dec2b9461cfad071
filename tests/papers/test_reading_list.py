"""The shipped reading list: its content, order and validation."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from cogs.papers.arxiv import parse_arxiv_id
from roadmap.reading_list import ReadingListError, ReadingPaper, load_reading_list

ROADMAP_73 = [
    ("alexnet", "ImageNet Classification with Deep Convolutional Neural Networks", None),
    ("resnet", "Deep Residual Learning for Image Recognition", "1512.03385"),
    ("transformer", "Attention Is All You Need", "1706.03762"),
    (
        "bert",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "1810.04805",
    ),
    ("gpt3", "Language Models are Few-Shot Learners", "2005.14165"),
    ("yolo", "You Only Look Once: Unified, Real-Time Object Detection", "1506.02640"),
]

# arXiv id -> roadmap section, for the classics after the 7.3 papers, in shipped order.
CLASSICS = [
    ("1412.6980", "4.1", "Adam: A Method for Stochastic Optimization"),
    (
        "1502.03167",
        "4.1",
        "Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
        "Covariate Shift",
    ),
    ("1406.2661", "4.6", "Generative Adversarial Networks"),
    ("1312.6114", "4.6", "Auto-Encoding Variational Bayes"),
    ("2006.11239", "4.6", "Denoising Diffusion Probabilistic Models"),
    (
        "2010.11929",
        "4.5",
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
    ),
    ("1301.3781", "5.1", "Efficient Estimation of Word Representations in Vector Space"),
    ("1409.3215", "4.4", "Sequence to Sequence Learning with Neural Networks"),
    ("1409.0473", "4.4", "Neural Machine Translation by Jointly Learning to Align and Translate"),
    ("1505.04597", "4.3", "U-Net: Convolutional Networks for Biomedical Image Segmentation"),
    ("1703.06870", "4.3", "Mask R-CNN"),
    ("1312.5602", "6.2", "Playing Atari with Deep Reinforcement Learning"),
    ("1707.06347", "6.2", "Proximal Policy Optimization Algorithms"),
    ("1603.02754", "3.3", "XGBoost: A Scalable Tree Boosting System"),
    ("1609.02907", "6.6", "Semi-Supervised Classification with Graph Convolutional Networks"),
    ("1710.10903", "6.6", "Graph Attention Networks"),
    (
        "1602.04938",
        "6.4",
        '"Why Should I Trust You?": Explaining the Predictions of Any Classifier',
    ),
    ("1705.07874", "6.4", "A Unified Approach to Interpreting Model Predictions"),
]


@pytest.fixture(scope="module")
def papers() -> list[ReadingPaper]:
    return load_reading_list()


def test_roadmap_73_papers_come_first(papers: list[ReadingPaper]) -> None:
    first = [(p.key, p.title, p.arxiv_id) for p in papers[:6]]
    assert first == ROADMAP_73
    assert {p.section for p in papers[:6]} == {"7.3"}


def test_classics_follow_with_their_sections(papers: list[ReadingPaper]) -> None:
    assert [(p.arxiv_id, p.section, p.title) for p in papers[6:]] == CLASSICS
    assert len(papers) == 24


def test_alexnet_links_to_neurips(papers: list[ReadingPaper]) -> None:
    alexnet = papers[0]
    assert alexnet.arxiv_id is None
    assert alexnet.url == (
        "https://papers.nips.cc/paper_files/paper/2012/hash/"
        "c399862d3b9d6b76c8436e924a68c45b-Abstract.html"
    )
    assert alexnet.authors == ["Alex Krizhevsky", "Ilya Sutskever", "Geoffrey E. Hinton"]
    assert alexnet.year == 2012


def test_authors_and_years_of_some_classics(papers: list[ReadingPaper]) -> None:
    by_key = {p.key: p for p in papers}
    assert by_key["transformer"].authors[0] == "Ashish Vaswani"
    assert len(by_key["transformer"].authors) == 8
    assert by_key["gpt3"].authors[0] == "Tom B. Brown"
    assert by_key["gpt3"].authors[-1] == "Dario Amodei"
    assert len(by_key["gpt3"].authors) == 31
    assert by_key["adam"].authors == ["Diederik P. Kingma", "Jimmy Ba"]
    assert by_key["gat"].authors[0] == "Petar Veličković"
    assert (by_key["resnet"].year, by_key["bert"].year, by_key["ddpm"].year) == (2015, 2018, 2020)


def test_keys_and_arxiv_ids_are_unique_and_canonical(papers: list[ReadingPaper]) -> None:
    keys = [p.key for p in papers]
    ids = [p.arxiv_id for p in papers if p.arxiv_id is not None]
    assert len(set(keys)) == len(keys)
    assert len(set(ids)) == len(ids) == 23
    for paper in papers:
        if paper.arxiv_id is not None:
            assert parse_arxiv_id(paper.arxiv_id) == paper.arxiv_id
            assert paper.url == f"https://arxiv.org/abs/{paper.arxiv_id}"
        assert paper.url.startswith("https://")
        assert 1990 <= paper.year <= 2025


def test_every_section_exists_in_the_shipped_roadmap(papers: list[ReadingPaper]) -> None:
    roadmap = (files("roadmap") / "ml-mastery-roadmap.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### ([0-9]+\.[0-9]+) ", roadmap, flags=re.MULTILINE))
    assert {"7.3", "4.3", "6.6"} <= headings
    for paper in papers:
        assert paper.section in headings, paper.key


def test_papers_are_frozen(papers: list[ReadingPaper]) -> None:
    with pytest.raises(ValueError):
        papers[0].title = "changed"


def test_each_call_returns_a_fresh_list() -> None:
    first = load_reading_list()
    first.clear()
    assert len(load_reading_list()) == 24


# --- validation of other files -----------------------------------------------------------

GOOD = """
[[paper]]
key = "one"
title = "Paper One"
authors = ["A. Author"]
year = 2017
section = "4.5"
arxiv_id = "1706.03762"
url = "https://arxiv.org/abs/1706.03762"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reading_list.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_custom_file_loads(tmp_path: Path) -> None:
    [paper] = load_reading_list(write(tmp_path, GOOD))
    assert paper == ReadingPaper(
        key="one",
        title="Paper One",
        authors=["A. Author"],
        year=2017,
        section="4.5",
        arxiv_id="1706.03762",
        url="https://arxiv.org/abs/1706.03762",
    )
    assert load_reading_list(str(write(tmp_path, GOOD)))[0].key == "one"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "no [[paper]] entries"),
        ("paper = 3", "no [[paper]] entries"),
        ("[[paper]\nkey = 1", "not valid TOML"),
        (GOOD + "\n[extra]\nx = 1\n", "unknown top-level keys: extra"),
        (GOOD + GOOD.replace('"1706.03762"', '"1512.03385"'), "duplicate key 'one'"),
        (GOOD + GOOD.replace('key = "one"', 'key = "two"'), "duplicate arxiv_id 1706.03762"),
        (GOOD.replace('section = "4.5"', 'section = "4"'), "section"),
        (GOOD.replace('section = "4.5"', 'section = "phase 4"'), "section"),
        (GOOD.replace("https://arxiv.org", "http://arxiv.org"), "url"),
        (GOOD.replace('"https://arxiv.org/abs/1706.03762"', '"javascript:alert(1)"'), "url"),
        (GOOD.replace('arxiv_id = "1706.03762"', 'arxiv_id = "1706.03762v7"'), "arxiv_id"),
        (GOOD.replace('key = "one"', 'key = "One Paper"'), "key"),
        (GOOD.replace('authors = ["A. Author"]', "authors = []"), "authors"),
        (GOOD.replace('title = "Paper One"', 'title = "   "'), "title"),
        (GOOD.replace("year = 2017", 'year = "2017"'), "year"),
        (GOOD + 'extra_field = "x"\n', "extra_field"),
        (GOOD.replace('key = "one"\n', ""), "key"),
    ],
)
def test_invalid_files_are_refused_with_a_reason(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ReadingListError) as caught:
        load_reading_list(write(tmp_path, text))
    assert fragment in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReadingListError) as caught:
        load_reading_list(tmp_path / "nope.toml")
    assert "cannot read the reading list" in str(caught.value)
