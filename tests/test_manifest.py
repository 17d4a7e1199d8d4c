"""The course manifest: found, read and checked, with errors a course team can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.manifest import default_manifest_paths, load_course

from .conftest import EXAMPLE_COURSE, write_manifest


def problems_of(tmp_path: Path, text: str) -> list:
    (tmp_path / "content").mkdir(exist_ok=True)
    return load_course([str(write_manifest(tmp_path, text))]).problems


def test_example_course_is_valid():
    course = load_course([str(EXAMPLE_COURSE)])
    assert course.problems == []
    assert [m.id for m in course.modules] == ["TM351-25J"]
    (source,) = course.modules[0].content
    assert source.kind == "directory"
    assert Path(source.location, "README.md").is_file()


def test_two_modules_are_read_in_order(course_dir):
    course = load_course([str(course_dir)])
    assert [m.id for m in course.modules] == ["TM351-25J", "M269-25J"]
    assert course.modules[1].title.startswith("Algorithms")


def test_not_yaml_names_file_and_line(tmp_path):
    (problem,) = problems_of(tmp_path, "modules:\n  - code: [TM351\n")
    assert problem.code == "manifest-not-yaml"
    assert problem.file.endswith("course.yaml")
    assert problem.line == 3 or problem.line == 2


def test_missing_code_is_reported_at_the_module(tmp_path):
    (problem,) = problems_of(tmp_path, "modules:\n  - presentation: 25J\n    title: X\n")
    assert problem.code == "manifest-missing-key"
    assert problem.path == "modules[0]"
    assert problem.line == 2
    assert "'code'" in problem.message


def test_unknown_key_suggests_the_nearest(tmp_path):
    (problem,) = problems_of(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            tittle: Data
        """,
    )
    assert problem.code == "manifest-unknown-key"
    assert problem.path == "modules[0].tittle"
    assert problem.line == 4
    assert "did you mean 'title'?" in problem.message
    assert str(problem).startswith(f"{tmp_path / 'course.yaml'}:4: modules[0].tittle:")


def test_unknown_key_in_content_suggests_the_nearest(tmp_path):
    (problem,) = problems_of(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            content:
              - sources: content
        """,
    )
    assert problem.path == "modules[0].content[0].sources"
    assert "did you mean 'source'?" in problem.message


@pytest.mark.parametrize("code", ["TM/351", "..", "../etc", "TM 351"])
def test_module_code_that_is_not_a_folder_name_is_refused(tmp_path, code):
    problems = problems_of(tmp_path, f"modules:\n  - code: '{code}'\n    presentation: 25J\n")
    assert [p.path for p in problems] == ["modules[0].code"]
    assert "letters, digits" in problems[0].message
    assert problems[0].line == 2


def test_duplicate_module_is_reported_and_first_kept(tmp_path):
    course = load_course(
        [
            str(
                write_manifest(
                    tmp_path,
                    """
                    modules:
                      - code: TM351
                        presentation: 25J
                        title: first
                      - code: TM351
                        presentation: 25J
                        title: second
                    """,
                )
            )
        ]
    )
    assert [m.title for m in course.modules] == ["first"]
    (problem,) = course.problems
    assert problem.code == "manifest-duplicate-module"
    assert problem.line == 5


def test_duplicate_module_across_files(tmp_path):
    a = write_manifest(tmp_path, "modules:\n  - code: A1\n    presentation: 25J\n", "a.yaml")
    write_manifest(tmp_path, "modules:\n  - code: A1\n    presentation: 25J\n", "b.yaml")
    course = load_course([str(tmp_path)])
    assert len(course.modules) == 1
    assert course.modules[0].manifest == str(a)
    assert course.problems[0].file.endswith("b.yaml")


def test_missing_content_directory_names_the_path(tmp_path):
    (problem,) = problems_of(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            content:
              - source: nowhere/here
        """,
    )
    assert problem.code == "manifest-missing-path"
    assert str(tmp_path / "nowhere" / "here") in problem.message
    assert problem.line == 5


def test_target_outside_module_is_refused(tmp_path):
    (problem,) = problems_of(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            content:
              - source: content
                target: ../../etc
        """,
    )
    assert problem.code == "unsafe-path"
    assert problem.path == "modules[0].content[0].target"


def test_content_needs_exactly_one_kind(tmp_path):
    (problem,) = problems_of(
        tmp_path,
        """
        modules:
          - code: TM351
            presentation: 25J
            content:
              - source: content
                git: file:///srv/x.git
        """,
    )
    assert "exactly one of" in problem.message


def test_duplicate_yaml_key_is_an_error(tmp_path):
    problems = problems_of(
        tmp_path, "modules:\n  - code: A1\n    code: A2\n    presentation: 25J\n"
    )
    assert [p.code for p in problems] == ["manifest-duplicate-key"]
    assert problems[0].line == 3


def test_bad_module_is_left_out_and_good_one_kept(tmp_path):
    course = load_course(
        [
            str(
                write_manifest(
                    tmp_path,
                    """
                    modules:
                      - code: GOOD1
                        presentation: 25J
                      - code: BAD/1
                        presentation: 25J
                    """,
                )
            )
        ]
    )
    assert [m.id for m in course.modules] == ["GOOD1-25J"]
    assert len(course.problems) == 1


def test_unknown_top_level_key_leaves_out_the_file(tmp_path):
    course = load_course([str(write_manifest(tmp_path, "modules: []\nmodule: []\n"))])
    assert course.modules == []
    assert "did you mean 'modules'?" in course.problems[0].message


def test_empty_file_and_wrong_type(tmp_path):
    assert (
        load_course([str(write_manifest(tmp_path, "\n"))])
        .problems[0]
        .message.startswith("the manifest is empty")
    )
    (problem,) = load_course([str(write_manifest(tmp_path, "modules: TM351\n", "b.yaml"))]).problems
    assert problem.message == "should be a list, not 'TM351'"


def test_named_file_that_does_not_exist(tmp_path):
    (problem,) = load_course([str(tmp_path / "missing.yaml")]).problems
    assert problem.code == "manifest-missing"


def test_environment_variable_replaces_search_path(tmp_path):
    assert default_manifest_paths({"COURSEKIT_MANIFEST": f"{tmp_path}/a.yaml:{tmp_path}/b"}) == [
        f"{tmp_path}/a.yaml",
        f"{tmp_path}/b",
    ]
    assert all(p.endswith("coursekit") for p in default_manifest_paths({}))
