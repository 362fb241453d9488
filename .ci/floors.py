"""Print a pip constraints file pinning every install_requires entry of setup.cfg at its floor (its >= bound)."""

import configparser
import re
import sys

cfg = configparser.ConfigParser()
cfg.read(sys.argv[1])
for line in cfg["options"]["install_requires"].strip().splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    spec, _, marker = line.partition(";")
    m = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([^,\s]+)", spec)
    if m:
        print(f"{m.group(1)}=={m.group(2)}" + (f"; {marker.strip()}" if marker.strip() else ""))
