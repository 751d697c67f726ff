"""A seeded synthetic county ("Synthshire") with police.uk-format files and timestamped force records.

>>> from hotpatrol.synthetic import generate_county
>>> county = generate_county(scale=0.1, years=3, seed=1)      # doctest: +SKIP
>>> paths = county.write("synth-out")                          # doctest: +SKIP
"""

from hotpatrol.synthetic.county import County, generate_county
from hotpatrol.synthetic.crimes import COMPONENTS, MONTHLY_RATES, NEAR_REPEAT, OFFENCES
from hotpatrol.synthetic.policeuk import FORCE, OUTCOME_COLUMNS, STREET_COLUMNS

__all__ = ["COMPONENTS", "County", "FORCE", "MONTHLY_RATES", "NEAR_REPEAT", "OFFENCES", "OUTCOME_COLUMNS",
           "STREET_COLUMNS", "generate_county"]
