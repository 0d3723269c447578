"""Rule pack commands: rules validate, rules test, rules schema."""

from __future__ import annotations

from pathlib import Path

import click

from auditd.cli import EXIT_ERROR, cli, json_out


@cli.group()
def rules() -> None:
    """Rule packs (YAML): ignores, severities, classification, review policy, windows."""


def _dirs(paths: tuple[Path, ...]) -> list[Path]:
    from auditd.rulefiles import DEFAULT_RULE_DIRS

    return list(paths) if paths else list(DEFAULT_RULE_DIRS)


@rules.command("validate")
@click.argument("dirs", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
def rules_validate(dirs: tuple[Path, ...]) -> None:
    """Check every pack of DIRS [default: the installed packs and /etc/driftaudit/rules.d].

    All or nothing, like the daemon's reload: each problem is printed as
    file:line: field: message and the exit code is 2.
    """
    from auditd.rulefiles import load_rules

    ruleset = load_rules(_dirs(dirs))
    click.echo(f"{len(ruleset.packs)} pack(s) valid")


@rules.command("test")
@click.argument("dirs", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
def rules_test(dirs: tuple[Path, ...]) -> None:
    """Run the example cases written in the packs (their `tests:` sections)."""
    from auditd.rulefiles import load_rules
    from auditd.rules import run_rule_tests

    results = run_rule_tests(load_rules(_dirs(dirs)))
    for result in results:
        click.echo(str(result))
    failed = sum(1 for r in results if not r.ok)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise click.exceptions.Exit(EXIT_ERROR)


@rules.command("schema")
def rules_schema() -> None:
    """Print the JSON Schema of rule packs (for editors and CI validation)."""
    from auditd.rules import rule_pack_schema

    json_out(rule_pack_schema())
