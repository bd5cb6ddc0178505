import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # tests/sse.py and friends

import os  # noqa: E402
import tempfile  # noqa: E402

# Tests never write to the user's real call log; kernels and servers started by tests inherit this.
os.environ.setdefault("NBSTREAM_LOG", os.path.join(tempfile.mkdtemp(prefix="nbstream-test-log-"), "calls.sqlite3"))
