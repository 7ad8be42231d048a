"""Parameter explanations for the notebooks' tables."""

from companion_app.teaching.explain import meaning, parameter_table


def test_table_lists_values_and_meanings_in_order():
    table = parameter_table({"From": "+14155550100", "Body": "", "Brand-new": "x"})
    assert table.splitlines() == [
        "| Parameter | Value | Meaning |",
        "|---|---|---|",
        "| `From` | `+14155550100` | the sender's phone number, in E.164 form |",
        "| `Body` | *(empty)* | the text, up to 1600 characters (empty for a picture-only MMS) |",
        "| `Brand-new` | `x` | not documented here: ignore parameters you do not need |",
    ]


def test_media_parameters_are_numbered():
    assert meaning("MediaUrl1") == "where to download attachment 1"
    assert meaning("MediaContentType0").startswith("the type of attachment 0")
