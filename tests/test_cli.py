import contextlib
import io
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from skperceptron._cli import _count_convergence_warnings, main
from skperceptron.datasets import make_students

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
PROG = "python -m skperceptron"


def _data_file(*parts):
    path = DATA.joinpath(*parts)
    if not path.is_file():
        pytest.fail(
            f"test data {path} is missing; the tests expect the shared data sets in "
            f"{DATA}, next to the repository"
        )
    return path


def _run(capsys, *args):
    """Run the command line in-process; return its status, stdout and stderr."""
    status = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _run_failing(capsys, *args):
    """Run a command line that must fail; return its one-line error message."""
    status, out, err = _run(capsys, *args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"{PROG}: error: ")
    return err.removeprefix(f"{PROG}: error: ").rstrip("\n")


def _table_row(out, model):
    """Return the cells of the first table row of ``model`` in ``out``."""
    line = next(line for line in out.splitlines() if line.startswith(model + " "))
    return re.split(r"\s{2,}", line.strip())


def _score(out, model):
    return float(_table_row(out, model)[1].split(" +/- ")[0])


def _write_students(path, n_samples=60, sep=","):
    """Write make_students data with a text column to a CSV file; return its path."""
    X, y = make_students(n_samples=n_samples, random_state=0)
    frame = X.assign(
        group=["morning" if i % 2 else "evening" for i in range(n_samples)],
        passed=y,
    )
    frame.to_csv(path, sep=sep, index=False)
    return path


# --help and the default run


def test_help_runs_as_module():
    result = subprocess.run(
        [sys.executable, "-m", "skperceptron", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {PROG} ")
    for option in ["--csv", "--target", "--task", "--sep", "--quick", "--drop"]:
        assert option in result.stdout
    assert "whole numbers with at most 10 distinct values" in result.stdout


@pytest.fixture(scope="module")
def quick_default_run():
    """Status, stdout and stderr of one quick run on the built-in data sets."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["--quick"])
    return status, out.getvalue(), err.getvalue()


def test_default_run_compares_on_builtin_data(quick_default_run):
    status, out, err = quick_default_run

    assert status == 0
    assert err == ""
    assert "3-fold cross-validation" in out
    assert "Learning rates searched: 0.01, 0.1." in out
    for title in [
        "== breast cancer (load_breast_cancer) ==",
        "== diabetes (load_diabetes) ==",
        "== students (make_students, synthetic) ==",
    ]:
        assert title in out
    for model in ["DummyClassifier", "StudentNetClassifier", "MLPClassifier"]:
        assert _table_row(out, model)[0] == model
    for model in ["DummyRegressor", "StudentNetRegressor", "MLPRegressor"]:
        assert _table_row(out, model)[0] == model
    assert _score(out, "StudentNetClassifier") > _score(out, "DummyClassifier") + 0.2
    assert _score(out, "StudentNetRegressor") > _score(out, "DummyRegressor") + 0.2
    assert out.rstrip().splitlines()[-1].startswith("Total time: ")


def test_table_rows_hold_score_rate_time_and_convergence(quick_default_run):
    _, out, _ = quick_default_run

    dummy = _table_row(out, "DummyClassifier")
    net = _table_row(out, "StudentNetClassifier")

    assert dummy[2] == "-"
    assert dummy[4] == "-"
    assert net[2] in {"0.01", "0.1"}
    assert float(net[3]) > 0
    assert re.fullmatch(r"\d+/6", net[4])


def test_convergence_warnings_are_counted_not_shown(capsys, recwarn):
    _, out, _ = _run(capsys, "--quick", "--max-iter", 2)

    assert _table_row(out, "StudentNetClassifier")[4] == "6/6"
    assert (
        "'not converged' counts fits that stopped at max_iter and raised\n"
        "ConvergenceWarning; the warnings are counted here instead of printed.\n"
        "Raise --max-iter to give those fits more epochs." in out
    )
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


# Real CSV files


def test_student_performance_grade_is_a_regression(capsys):
    path = _data_file("student-performance", "student-por.csv")

    status, out, _ = _run(capsys, "--csv", path, "--target", "G3", "--quick")

    assert status == 0
    assert "== student-por.csv, target 'G3' ==" in out
    assert "649 rows; 32 features: 15 numeric (scaled), 17 other (one-hot " in out
    assert (
        "Task: regression (17 distinct whole numbers, more than 10; --task "
        "overrides)." in out
    )
    assert _score(out, "StudentNetRegressor") > _score(out, "DummyRegressor")


def test_drop_leaves_out_feature_columns(capsys):
    path = _data_file("student-performance", "student-por.csv")

    status, out, _ = _run(
        capsys,
        "--csv",
        path,
        "--target",
        "G3",
        "--drop",
        "G1",
        "G2",
        "--quick",
        "--max-iter",
        5,
    )

    assert status == 0
    assert "649 rows; 30 features: 13 numeric (scaled), 17 other" in out


def test_student_dropout_with_bom_and_tab_in_header(capsys):
    path = _data_file("student-dropout", "data.csv")

    # The header name ends in a tab; it is found once whitespace is stripped.
    status, out, _ = _run(
        capsys,
        "--csv",
        path,
        "--target",
        "Target",
        "--drop",
        "Daytime/evening attendance",
        "--quick",
        "--max-iter",
        10,
    )

    assert status == 0
    assert "== data.csv, target 'Target' ==" in out
    assert "4424 rows; 35 features: 35 numeric (scaled), 0 other" in out
    assert "Task: classification (the target is not numeric; --task overrides)." in out
    assert _score(out, "StudentNetClassifier") > _score(out, "DummyClassifier") + 0.1


def test_target_name_typo_suggests_closest_column(capsys):
    path = _data_file("student-dropout", "data.csv")

    message = _run_failing(capsys, "--csv", path, "--target", "target")

    assert message.startswith(
        f"column 'target' is not in {str(path)!r}; did you mean 'Target'? pass one "
        "of the available columns to --target: 'Marital status', 'Application mode', "
    )
    assert "'Daytime/evening attendance', " in message
    assert message.endswith(", 'Target'")


def test_forced_classification_of_grade_with_rare_classes_fails(capsys):
    path = _data_file("student-performance", "student-por.csv")

    message = _run_failing(
        capsys, "--csv", path, "--target", "G3", "--task", "classification"
    )

    assert message == (
        "class 1 of student-por.csv, target 'G3' has 1 row, fewer than the 5 "
        "cross-validation folds (4 of the 17 classes have fewer); add rows of those "
        "classes, remove them, or use --task regression for a numeric target"
    )


def test_forced_regression_of_text_target_fails(capsys):
    path = _data_file("student-dropout", "data.csv")

    message = _run_failing(
        capsys, "--csv", path, "--target", "Target", "--task", "regression"
    )

    assert message == (
        "--task regression needs a numeric target, but 'Target' holds values such "
        "as 'Dropout'; use --task classification or another target"
    )


# Small CSV files


def test_separator_is_detected(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv", sep=";")

    status, out, _ = _run(capsys, "--csv", path, "--target", "passed", "--quick")

    assert status == 0
    assert "60 rows; 3 features: 2 numeric (scaled), 1 other (one-hot encoded)." in out
    assert (
        "Task: classification (2 distinct whole numbers, at most 10; --task "
        "overrides)." in out
    )


def test_explicit_tab_separator(tmp_path, capsys):
    path = _write_students(tmp_path / "students.tsv", sep="\t")

    status, out, _ = _run(
        capsys, "--csv", path, "--target", "passed", "--sep", "\\t", "--quick"
    )

    assert status == 0
    assert "60 rows; 3 features" in out


def test_task_override(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")

    status, out, _ = _run(
        capsys, "--csv", path, "--target", "passed", "--task", "regression", "--quick"
    )

    assert status == 0
    assert "Task: regression (set with --task)." in out
    assert _table_row(out, "StudentNetRegressor")[0] == "StudentNetRegressor"


def test_float_target_is_a_regression(tmp_path, capsys):
    X, _ = make_students(n_samples=40, random_state=0)
    path = tmp_path / "hours.csv"
    X.to_csv(path, index=False)

    status, out, _ = _run(
        capsys, "--csv", path, "--target", "hours_on_project", "--quick"
    )

    assert status == 0
    assert re.search(r"Task: regression \(\d+ distinct numbers; --task overrides", out)


def test_header_whitespace_and_byte_order_mark(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")
    text = path.read_text().replace("passed", " passed\t", 1)
    path.write_text(text, encoding="utf-8-sig")

    status, out, _ = _run(capsys, "--csv", path, "--target", "passed", "--quick")

    assert status == 0
    assert "== students.csv, target 'passed' ==" in out


def test_text_column_with_many_values(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")
    frame = pd.read_csv(path)
    frame["name"] = [f"student {i}" for i in range(len(frame))]
    frame.to_csv(path, index=False)

    status, out, _ = _run(capsys, "--csv", path, "--target", "passed", "--quick")

    assert status == 0
    assert "60 rows; 4 features: 2 numeric (scaled), 2 other (one-hot encoded)." in out


def test_missing_feature_values_are_imputed(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")
    frame = pd.read_csv(path)
    frame.loc[::7, "hours_on_project"] = None
    frame.loc[::5, "group"] = None
    frame.to_csv(path, index=False)

    status, out, _ = _run(capsys, "--csv", path, "--target", "passed", "--quick")

    assert status == 0
    assert "60 rows; 3 features" in out


def test_rows_without_target_are_left_out(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")
    frame = pd.read_csv(path)
    frame.loc[:2, "passed"] = None
    frame.to_csv(path, index=False)

    status, out, _ = _run(capsys, "--csv", path, "--target", "passed", "--quick")

    assert status == 0
    assert "Left out 3 rows of 60, which have no 'passed'." in out
    assert "57 rows; 3 features" in out


# Errors in the input


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nope.csv"

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == f"file {str(path)!r} does not exist; check the path to --csv"


def test_directory_instead_of_file(tmp_path, capsys):
    message = _run_failing(capsys, "--csv", tmp_path, "--target", "y")

    assert message == f"{str(tmp_path)!r} is a directory; pass a CSV file to --csv"


@pytest.mark.parametrize("content", ["", "\n  \n", "\ufeff"])
def test_empty_file(tmp_path, capsys, content):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == (
        f"{str(path)!r} is empty; pass a CSV file with a header row and data rows"
    )


def test_header_without_rows(tmp_path, capsys):
    path = tmp_path / "header.csv"
    path.write_text("x;y\n")

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == f"{str(path)!r} has a header but no data rows; add data rows"


def test_missing_column_without_close_match(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")

    message = _run_failing(capsys, "--csv", path, "--target", "zzz")

    assert message == (
        f"column 'zzz' is not in {str(path)!r}; pass one of the available columns to "
        "--target: 'lectures_attended', 'hours_on_project', 'group', 'passed'"
    )


def test_missing_drop_column(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")

    message = _run_failing(
        capsys, "--csv", path, "--target", "passed", "--drop", "groups"
    )

    assert message == (
        f"column 'groups' is not in {str(path)!r}; did you mean 'group'? pass one of "
        "the available columns to --drop: 'lectures_attended', 'hours_on_project', "
        "'group'"
    )


def test_drop_of_target(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv")

    message = _run_failing(
        capsys, "--csv", path, "--target", "passed", "--drop", "passed"
    )

    assert message == (
        "--drop lists the target 'passed'; the target is never a feature, so leave "
        "it out of --drop"
    )


def test_target_with_a_single_value(tmp_path, capsys):
    path = tmp_path / "constant.csv"
    pd.DataFrame({"x": range(20), "y": ["yes"] * 20}).to_csv(path, index=False)

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == (
        "target 'y' has the single value 'yes' in every row; a model needs at "
        "least two different target values to learn from"
    )


def test_target_without_values(tmp_path, capsys):
    path = tmp_path / "blank.csv"
    path.write_text("x,y\n" + "".join(f"{i},\n" for i in range(20)))

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == "target 'y' has no value in any row; pick a column with values"


def test_file_with_only_the_target(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("y\n" + "".join(f"{i % 2}\n" for i in range(20)))

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == (
        f"{str(path)!r} has no feature columns besides the target 'y'; pass a file "
        "with at least one more column"
    )


def test_too_few_rows(tmp_path, capsys):
    path = _write_students(tmp_path / "students.csv", n_samples=5)

    message = _run_failing(capsys, "--csv", path, "--target", "passed", "--quick")

    assert message == (
        "students.csv, target 'passed' has 5 rows with a target value; 3-fold "
        "cross-validation needs at least 6"
    )


def test_undetectable_separator(tmp_path, capsys):
    path = tmp_path / "mixed.csv"
    path.write_text("a,b\n1;2\n")

    message = _run_failing(capsys, "--csv", path, "--target", "b")

    assert message == (
        f"could not detect the column separator of {str(path)!r}; pass it with "
        "--sep, for example --sep ';'"
    )


def test_unparsable_file(tmp_path, capsys):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5,6\n")

    message = _run_failing(capsys, "--csv", path, "--target", "b", "--sep", ",")

    assert message.startswith(f"could not read {str(path)!r} with separator ',': ")
    assert message.endswith("; check the file or pass the right separator with --sep")


@pytest.mark.parametrize("n_rows_before", [0, 50])
def test_file_that_is_not_utf8(tmp_path, capsys, n_rows_before):
    path = tmp_path / "latin1.csv"
    rows = "".join(f"Ana,{i % 2}\n" for i in range(n_rows_before))
    path.write_bytes(f"name,grade\n{rows}Jos\u00e9,1\n".encode("latin-1"))

    message = _run_failing(capsys, "--csv", path, "--target", "grade")

    assert message.startswith(f"{str(path)!r} is not UTF-8 text (")
    assert message.endswith("); save it with UTF-8 encoding")


def test_columns_equal_once_stripped(tmp_path, capsys):
    path = tmp_path / "twice.csv"
    path.write_text("a,a ,y\n1,2,3\n")

    message = _run_failing(capsys, "--csv", path, "--target", "y")

    assert message == (
        f"{str(path)!r} has more than one column named 'a' once spaces around names "
        "are removed; give the columns different names"
    )


# Errors in the arguments


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--target", "y"],
            "--target is only used with --csv FILE; add --csv FILE or leave out "
            "--target",
        ),
        (
            ["--task", "regression", "--sep", ";", "--drop", "x"],
            "--task, --sep, --drop are only used with --csv FILE; add --csv FILE or "
            "leave out --task, --sep, --drop",
        ),
        (["--csv", "x.csv"], "--csv needs --target COLUMN, the column to predict"),
        (
            ["--csv", "x.csv", "--target", "y", "--sep", ""],
            "argument --sep: must be the text between columns, got ''; pass for "
            "example ';' or '\\t'",
        ),
        (
            ["--max-iter", "0"],
            "argument --max-iter: must be a positive integer, got '0'; pass a "
            "whole number such as 2000",
        ),
        (
            ["--max-iter", "many"],
            "argument --max-iter: must be a positive integer, got 'many'; pass a "
            "whole number such as 2000",
        ),
    ],
)
def test_bad_argument_combinations(capsys, args, message):
    with pytest.raises(SystemExit) as exc_info:
        main(args)

    assert exc_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {PROG} ")
    assert err.endswith(f"{PROG}: error: {message}\n")


def test_other_warnings_are_shown_once():
    def caught(category, text):
        return warnings.WarningMessage(category(text), category, "fit.py", 1)

    records = [
        caught(ConvergenceWarning, "stopped at max_iter"),
        caught(UserWarning, "batch_size is larger than the samples"),
        caught(UserWarning, "batch_size is larger than the samples"),
    ]

    with pytest.warns(UserWarning, match="batch_size is larger") as shown:
        n_convergence = _count_convergence_warnings(records)

    assert n_convergence == 1
    assert len(shown) == 1


def test_ctrl_c_stops_the_whole_job(monkeypatch, capsys):
    from skperceptron import _optimizers

    def interrupted(self, params, grad):
        raise KeyboardInterrupt

    monkeypatch.setattr(_optimizers.Adam, "step", interrupted)
    status = main(["--quick"])

    assert status == 130
    assert "interrupted; the results above are complete" in capsys.readouterr().err


def test_infinite_feature_value_is_a_one_line_error(tmp_path, capsys):
    X, y = make_students(n_samples=60, random_state=0)
    frame = X.assign(score=y * 1.5)
    frame.loc[3, "hours_on_project"] = np.inf
    path = tmp_path / "infinite.csv"
    frame.to_csv(path, index=False)

    status, _, err = _run(
        capsys, "--csv", path, "--target", "score", "--task", "regression", "--quick"
    )

    assert status == 2
    assert err.count("\n") == 1
    assert re.search(r"error: Input X contains infinity", err)


def test_negative_random_state_is_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--random-state", "-1"])
    assert exit_info.value.code == 2
    assert "must be a whole number from 0 to 2**32 - 1, got '-1'" in (
        capsys.readouterr().err
    )
