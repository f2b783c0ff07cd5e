"""Answers written by a language model in the asker's language, every sentence checked against
the passage it cites (``chain``: the LangChain chain and its ``Writer``; ``verify``: the checks;
``models``: the chat models ``Settings.llm`` names; ``local_model``: the bundled one)."""
