"""The shipped Machine Learning Mastery Roadmap parses completely and correctly."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from roadmap.model import Roadmap, Section
from roadmap.parser import default_roadmap_path, load_roadmap
from tests.roadmap.completeness import content_text, unaccounted_lines


@pytest.fixture(scope="module")
def shipped_text() -> str:
    return default_roadmap_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return load_roadmap()


def _section(roadmap: Roadmap, section_id: str) -> Section:
    section = roadmap.section(section_id)
    assert section is not None, section_id
    return section


def _without_topic(roadmap: Roadmap, section_id: str, item: str) -> Roadmap:
    phases = []
    for phase in roadmap.phases:
        sections = []
        for section in phase.sections:
            if section.id == section_id:
                groups = [
                    group.model_copy(update={"items": [i for i in group.items if i != item]})
                    for group in section.groups
                ]
                section = section.model_copy(update={"groups": groups})
            sections.append(section)
        phases.append(phase.model_copy(update={"sections": sections}))
    return roadmap.model_copy(update={"phases": phases})


# --- completeness ----------------------------------------------------------------------------


def test_every_content_line_of_the_shipped_file_is_in_the_model(
    shipped_text: str, roadmap: Roadmap
) -> None:
    missing, extra = unaccounted_lines(shipped_text, roadmap)
    assert missing == []
    assert extra == []


def test_the_walk_really_checks_lines(shipped_text: str) -> None:
    content = [line for line in shipped_text.split("\n") if content_text(line)]
    # Sanity: the walk looks at hundreds of lines, not a handful.
    assert len(content) > 400


def test_walk_reports_a_topic_dropped_from_the_model(shipped_text: str, roadmap: Roadmap) -> None:
    damaged = _without_topic(roadmap, "4.5", "Multi-head attention")
    missing, extra = unaccounted_lines(shipped_text, damaged)
    line = shipped_text.split("\n").index("  - Multi-head attention") + 1
    assert missing == [(line, "Multi-head attention")]
    assert extra == []


def test_walk_reports_a_duplicated_topic_dropped_once(shipped_text: str, roadmap: Roadmap) -> None:
    # "Principal Component Analysis (PCA)" is in 1.1 and 3.4: losing one copy must show.
    damaged = _without_topic(roadmap, "3.4", "Principal Component Analysis (PCA)")
    missing, _ = unaccounted_lines(shipped_text, damaged)
    assert [text for _, text in missing] == ["Principal Component Analysis (PCA)"]
    assert missing[0][0] > _section(roadmap, "3.4").line


def test_walk_reports_a_changed_duration_tip_and_time_estimate(
    shipped_text: str, roadmap: Roadmap
) -> None:
    first = roadmap.phases[0].model_copy(update={"duration": None})
    damaged = roadmap.model_copy(
        update={
            "phases": [first, *roadmap.phases[1:]],
            "study_tips": roadmap.study_tips[:-1],
            "time_estimate": "soon",
        }
    )
    missing, extra = unaccounted_lines(shipped_text, damaged)
    assert missing == [
        (3, "Phase 1: Mathematical Foundations (2-3 months)"),
        (570, "Focus on understanding concepts, not memorizing code"),
        (572, "Time Estimate: 12-18 months for solid foundation, lifetime for mastery"),
    ]
    assert extra == ["Phase 1: Mathematical Foundations", "Time Estimate: soon"]


def test_walk_reports_a_dropped_resource_and_summary_item(
    shipped_text: str, roadmap: Roadmap
) -> None:
    section = _section(roadmap, "7.4")
    phase7 = roadmap.phases[-1]
    new_section = section.model_copy(update={"resources": ["GitHub", "Medium"]})
    new_phase = phase7.model_copy(update={"sections": [*phase7.sections[:-1], new_section]})
    videos = roadmap.resources_summary[0]
    new_videos = videos.model_copy(update={"items": videos.items[1:]})
    damaged = roadmap.model_copy(
        update={
            "phases": [*roadmap.phases[:-1], new_phase],
            "resources_summary": [new_videos, *roadmap.resources_summary[1:]],
        }
    )
    missing, _ = unaccounted_lines(shipped_text, damaged)
    assert [text for _, text in missing] == [
        "Towards Data Science",
        "Andrew Ng's Machine Learning (Coursera)",
    ]


# --- structure -------------------------------------------------------------------------------


def test_phases_and_sections(roadmap: Roadmap) -> None:
    assert roadmap.title == "Machine Learning Mastery Roadmap"
    assert [phase.number for phase in roadmap.phases] == [1, 2, 3, 4, 5, 6, 7]
    assert [phase.title for phase in roadmap.phases] == [
        "Mathematical Foundations",
        "Programming Foundations",
        "Machine Learning Fundamentals",
        "Deep Learning",
        "Natural Language Processing",
        "Advanced Topics",
        "Practical Experience",
    ]
    assert [phase.duration for phase in roadmap.phases] == [
        "2-3 months",
        "1-2 months",
        "3-4 months",
        "3-4 months",
        "2-3 months",
        "Ongoing",
        "Ongoing",
    ]
    assert roadmap.section_count == 30
    assert [section.id for section in roadmap.sections] == [
        *("1.1", "1.2", "1.3", "1.4"),
        *("2.1", "2.2", "2.3"),
        *("3.1", "3.2", "3.3", "3.4", "3.5"),
        *("4.1", "4.2", "4.3", "4.4", "4.5", "4.6"),
        *("5.1", "5.2"),
        *("6.1", "6.2", "6.3", "6.4", "6.5", "6.6"),
        *("7.1", "7.2", "7.3", "7.4"),
    ]
    assert all(section.phase == int(section.id.split(".")[0]) for section in roadmap.sections)


def test_line_numbers_point_at_the_headings(roadmap: Roadmap, shipped_text: str) -> None:
    lines = shipped_text.split("\n")
    assert roadmap.phases[6].line == 451
    assert lines[roadmap.phases[6].line - 1] == "## Phase 7: Practical Experience (Ongoing)"
    section = _section(roadmap, "4.5")
    assert section.line == 290
    for section in roadmap.sections:
        assert lines[section.line - 1] == f"### {section.id} {section.title}"


def test_a_typical_section(roadmap: Roadmap) -> None:
    section = _section(roadmap, "4.5")
    assert section.title == "Transformers and Attention"
    assert section.phase == 4
    assert [group.name for group in section.groups] == ["Core Topics"]
    assert section.topics() == [
        "Self-attention mechanism",
        "Multi-head attention",
        "Positional encoding",
        "Transformer architecture",
        "BERT, GPT models",
        "Vision Transformers (ViT)",
        "Transfer learning with transformers",
    ]
    assert section.resources == [
        "The Illustrated Transformer (Jay Alammar's blog)",
        "Hugging Face course and documentation",
        "Stanford CS224n (second half)",
        "Attention Is All You Need paper",
    ]
    assert section.label == "4.5 Transformers and Attention"


def test_r_squared_is_intact(roadmap: Roadmap) -> None:
    assert "Cost functions (MSE, MAE, RMSE, R²)" in _section(roadmap, "3.2").topics()


def test_sub_grouped_section_2_2(roadmap: Roadmap) -> None:
    section = _section(roadmap, "2.2")
    assert [(group.name, group.items) for group in section.groups] == [
        (
            "NumPy",
            [
                "Array operations",
                "Broadcasting",
                "Linear algebra operations",
                "Random number generation",
            ],
        ),
        (
            "Pandas",
            [
                "DataFrames and Series",
                "Data manipulation and cleaning",
                "Grouping and aggregation",
                "Merging and joining datasets",
                "Time series handling",
            ],
        ),
        (
            "Matplotlib/Seaborn",
            [
                "Line plots, scatter plots, histograms",
                "Heatmaps and correlation plots",
                "Subplots and figure customization",
                "Statistical visualizations",
            ],
        ),
    ]
    assert section.resources == [
        "NumPy official documentation",
        "Pandas official documentation",
        "Kaggle: Pandas course",
        "Python Data Science Handbook (Jake VanderPlas - free online)",
    ]
    assert len(section.topics()) == 13


def test_sub_grouped_section_4_2(roadmap: Roadmap) -> None:
    section = _section(roadmap, "4.2")
    assert [group.name for group in section.groups] == ["TensorFlow/Keras", "PyTorch"]
    assert section.groups[0].items == [
        "Sequential and Functional API",
        "Custom layers and models",
        "Callbacks",
        "TensorBoard visualization",
        "SavedModel format",
    ]
    assert section.groups[1].items == [
        "Tensors and autograd",
        "nn.Module",
        "DataLoader and Dataset",
        "Training loops",
        "Model saving and loading",
    ]
    assert section.resources[-1] == "Deep Learning with PyTorch (free book)"


def test_section_7_1_projects(roadmap: Roadmap) -> None:
    section = _section(roadmap, "7.1")
    assert len(section.groups) == 1
    group = section.groups[0]
    assert group.name == "Build end-to-end projects"
    assert group.line == 454
    assert group.items == [
        "Image classification system",
        "Sentiment analysis application",
        "Recommendation system",
        "Time series forecasting",
        "Object detection system",
        "Chatbot with NLP",
        "Generative art with GANs",
    ]
    assert section.resources == []


def test_section_7_2_plain_bullets(roadmap: Roadmap) -> None:
    section = _section(roadmap, "7.2")
    assert [(group.name, group.items, group.line) for group in section.groups] == [
        (
            None,
            [
                "Participate in competitions",
                "Study winning solutions",
                "Learn from kernels/notebooks",
                "Build a portfolio",
            ],
            464,
        )
    ]
    assert section.resources == [
        "Kaggle.com",
        "Kaggle Learn courses",
        "Kaggle competitions past solutions",
    ]


def test_section_7_3_papers(roadmap: Roadmap) -> None:
    section = _section(roadmap, "7.3")
    assert [group.name for group in section.groups] == ["Read foundational papers"]
    assert section.topics() == [
        "ImageNet Classification (AlexNet)",
        "ResNet paper",
        "Attention Is All You Need",
        "BERT paper",
        "GPT papers",
        "YOLO papers",
    ]
    assert section.resources == [
        "arXiv.org",
        "Papers with Code",
        "Arxiv Sanity Preserver",
        "Google Scholar",
    ]


def test_section_7_4_open_source(roadmap: Roadmap) -> None:
    section = _section(roadmap, "7.4")
    assert [(group.name, group.items) for group in section.groups] == [
        (
            None,
            [
                "Contribute to ML libraries",
                "Build your own packages",
                "Share knowledge through blogs",
            ],
        )
    ]
    assert section.resources == ["GitHub", "Medium", "Towards Data Science"]


def test_resources_summary(roadmap: Roadmap) -> None:
    summary = roadmap.resources_summary
    assert [(category.name, len(category.items)) for category in summary] == [
        ("Video Courses", 7),
        ("Books (Free Online)", 7),
        ("Interactive Platforms", 5),
        ("YouTube Channels", 6),
        ("Documentation & Tutorials", 5),
        ("Practice Platforms", 4),
    ]
    first = summary[0].items[0]
    assert (first.name, first.note, first.text) == (
        "Andrew Ng's Machine Learning",
        "Coursera",
        "Andrew Ng's Machine Learning (Coursera)",
    )
    assert summary[0].items[1].name == "Fast.ai Practical Deep Learning"
    assert summary[0].items[1].note is None
    book = summary[1].items[0]
    assert (book.name, book.note) == ("Deep Learning", "by Goodfellow, Bengio, Courville")
    assert book.text == "Deep Learning by Goodfellow, Bengio, Courville"
    kaggle = summary[5].items[0]
    assert (kaggle.name, kaggle.note) == ("Kaggle", "competitions, datasets, notebooks")
    assert [item.name for item in summary[3].items] == [
        "3Blue1Brown",
        "StatQuest with Josh Starmer",
        "Sentdex",
        "Yannic Kilcher",
        "Two Minute Papers",
        "deeplizard",
    ]


def test_learning_path_tips_and_time_estimate(roadmap: Roadmap) -> None:
    assert [(step.months, step.text) for step in roadmap.learning_path] == [
        ("Months 1-3", "Mathematical foundations (linear algebra, calculus, probability)"),
        ("Months 2-4", "Python programming and essential libraries"),
        ("Months 4-7", "ML fundamentals and classical ML algorithms"),
        ("Months 7-10", "Deep learning and neural networks"),
        ("Months 10-12", "Specialized topics (NLP, Computer Vision, or RL)"),
        ("Months 12+", "Advanced topics, MLOps, and continuous learning"),
    ]
    assert len(roadmap.study_tips) == 10
    assert roadmap.study_tips[0] == "Learn by doing - implement algorithms from scratch"
    assert roadmap.study_tips[8] == "Don't get stuck in tutorial hell - build original projects"
    assert roadmap.time_estimate == "12-18 months for solid foundation, lifetime for mastery"


def test_navigation_helpers(roadmap: Roadmap) -> None:
    assert roadmap.neighbours("1.1") == (None, "1.2")
    assert roadmap.neighbours("1.4") == ("1.3", "2.1")
    assert roadmap.neighbours("4.5") == ("4.4", "4.6")
    assert roadmap.neighbours("7.4") == ("7.3", None)
    assert roadmap.neighbours("9.9") == (None, None)
    assert roadmap.section(" 4.5 ") is not None
    assert roadmap.section("4.7") is None
    phase = roadmap.phase(6)
    assert phase is not None
    assert (phase.title, phase.duration) == ("Advanced Topics", "Ongoing")
    assert roadmap.phase(8) is None


def test_models_are_frozen(roadmap: Roadmap) -> None:
    section = _section(roadmap, "4.5")
    with pytest.raises(ValueError):
        section.title = "Something else"


def test_shipped_file_is_package_data() -> None:
    # load_roadmap(None) reads through importlib.resources, which is how an installed
    # wheel finds it; pyproject's package-data must list *.md for the roadmap package.
    resource = resources.files("roadmap") / "ml-mastery-roadmap.md"
    assert resource.is_file()
    assert default_roadmap_path().name == "ml-mastery-roadmap.md"
    assert default_roadmap_path().read_text(encoding="utf-8") == resource.read_text(
        encoding="utf-8"
    )


def test_roadmap_package_does_not_import_discord() -> None:
    code = "import sys, roadmap, roadmap.lookup; print('discord' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "False"
