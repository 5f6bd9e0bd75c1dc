import subprocess
import sys

from crmlab import cli


def test_datasets_list(capsys):
    assert cli.main(["datasets", "list"]) == 0
    assert "customers" in capsys.readouterr().out


def test_datasets_regenerate_to_a_folder(tmp_path, capsys):
    assert cli.main(["datasets", "regenerate", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "orders.csv").is_file() and (tmp_path / "orders.md").is_file()


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "crmlab.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "labs" in out.stdout
