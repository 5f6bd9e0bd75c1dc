"""environment.yml (conda) lists exactly the packages of pyproject.toml, with the same bounds."""
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _normal(spec: str) -> tuple[str, str]:
    spec = re.sub(r"\s*#.*$", "", spec).strip()
    name, bound = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_normal(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]}
    listed = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s*-\s+(\S.*)$", line)
        if not m or m.group(1).startswith(("python=", "pip", "-e", "conda-forge")):
            continue
        listed.add(_normal(m.group(1)))
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
