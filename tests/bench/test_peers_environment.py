"""The peers' throwaway environment takes the project's pins as constraints."""

from bench.peers import environment


def test_the_projects_pins_become_constraints_without_extras_or_comments():
    requirements = "# runtime\nDjango==6.1.3\ncelery[redis]==5.7.0\npsycopg[binary]==3.3.9\n\nsome-tool\n"

    assert environment._constraints(requirements) == "Django==6.1.3\ncelery==5.7.0\npsycopg==3.3.9\n"
