"""A whole-file rejection with a reason a clerk and an engineer can both read."""


class SubmissionError(Exception):
    def __init__(self, rule: str, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.rule = rule
        self.message_zh = message_zh
        self.message_en = message_en
