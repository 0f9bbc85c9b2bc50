"""Telling recipients that data they received was rectified or erased (GDPR Art. 19, R22)."""
