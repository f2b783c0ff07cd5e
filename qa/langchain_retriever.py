"""The retriever as a LangChain ``BaseRetriever``, to drop into any chain."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa.assistant import Assistant


class NewsRetriever(BaseRetriever):
    """``NewsRetriever(assistant=Assistant(), k=5).invoke("question")`` -> LangChain documents
    whose metadata carries doc_id, title, source, date, start, end and score."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Assistant
    k: int = 5
    mode: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [
            LCDocument(page_content=p.text, metadata={k: v for k, v in p.to_dict().items() if k != "text"})
            for p in self.assistant.retrieve(query, self.k, self.mode)
        ]
