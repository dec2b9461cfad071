"""StudyBot: a Discord bot for study groups working through the ML Mastery Roadmap."""

__version__ = "0.1.0"
