"""Which openapi.yaml the emulator runs (spec/loader.py): a checkout its own, an install the wheel's copy."""

from __future__ import annotations

from mockserver import create_app


def test_a_checkout_runs_its_own_spec_not_an_installed_copy() -> None:
    from pathlib import Path

    import mockserver
    from mockserver.spec.loader import spec_path

    repo = Path(__file__).resolve().parents[3]
    repo_spec = repo / "openapi.yaml"
    if Path(mockserver.__file__).resolve().parents[1] == repo:  # a checkout (or an editable install)
        assert spec_path() == repo_spec
    else:  # installed from the wheel, as CI does: its own copy, built from this checkout
        assert spec_path().parent.name == "seedance_openapi"
    served = create_app().test_client().get("/_mock/openapi.yaml").get_data()
    assert served == repo_spec.read_bytes()
