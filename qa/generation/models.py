"""Chat models for written answers, chosen by ``Settings.llm`` through LangChain's interface."""

from __future__ import annotations

import importlib.util
import os

from langchain_core.language_models import BaseChatModel

from qa.errors import SettingsError
from qa.generation.local_model import LocalChatModel, model_path
from qa.settings import Settings


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None when answers are quoted (``off``, or ``auto`` without
    the local model installed)."""
    llm = settings.llm
    if llm == "auto":
        installed = model_path(settings.cache_dir).is_file() and importlib.util.find_spec("llama_cpp") is not None
        llm = "local" if installed else "off"
    if llm == "off":
        return None
    if llm == "local":
        return LocalChatModel(model_file=str(model_path(settings.cache_dir)),
                              threads=settings.llm_threads or os.cpu_count() or 1)
    if not settings.llm_url or not settings.llm_model:
        raise SettingsError("NEWSQA_LLM=openai needs NEWSQA_LLM_URL (the server's /v1 address) and NEWSQA_LLM_MODEL "
                            "(the model name it serves); NEWSQA_LLM_API_KEY if it wants a key.")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key or "none",
                      temperature=0, timeout=settings.llm_budget_s, max_retries=0)
