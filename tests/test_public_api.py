import lowalp


def test_exported_names_are_sorted_and_exist():
    assert lowalp.__all__ == sorted(lowalp.__all__)
    for name in lowalp.__all__:
        assert hasattr(lowalp, name), name


def test_exported_names_are_the_curated_set():
    assert set(lowalp.__all__) == {
        "Assessment", "Case", "InputError", "Knowledge", "KnowledgeError", "LowAlpError",
        "Problem", "UnitError", "assess", "load_case", "load_knowledge",
    }  # fmt: skip


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, lowalp; print(int('jinja2' in sys.modules), int('fhir' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]
