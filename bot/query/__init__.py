"""Questions: parsing them, the index that answers them, and the answer in words."""

import os

# pypinyin reads its dictionary of phrases (some 45 MB in memory) at import unless told not to.
# We read the pinyin of names only, character by character with every reading of each
# (bot/query/matching.py, english.py): phrases never apply. Set before pypinyin is imported,
# which happens only inside this package.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
