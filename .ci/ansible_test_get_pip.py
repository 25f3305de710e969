"""Stand-in for ansible-test's get-pip.py bootstrap, whose download host is unreachable here.

ansible-test runs this (through runpy, with pip's install arguments in sys.argv) inside each fresh
sanity venv. Install the pip bundled with Python (ensurepip), then let that pip install exactly
the pinned packages ansible-test asked for, from the package index.
"""
import ensurepip
import os
import subprocess
import sys

# get-pip.py options that `pip install` does not take.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=False)
# ensurepip sets PIP_CONFIG_FILE=/dev/null in this process; the pip below must see the machine's config.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
