"""What the request log keeps of a body or an Authorization header: secrets masked, whatever
the body's shape (JSON, broken JSON, cut), and every text storable."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scim.masking import (
    BODY_LIMIT,
    _nothing_to_mask,
    mask_authorization,
    mask_body,
    mask_json,
    storable,
    token_in,
)

TOKEN = "rst_scim_a1B2c3" + "x" * 37


def masked(body: object) -> object:
    text, cut = mask_body(json.dumps(body).encode())
    assert not cut
    return json.loads(text)


def test_password_secret_and_authorization_keys_anywhere():
    body = {"userName": "a@b.c", "password": "p1", "Password": {"value": "p2"},
            "x": [{"clientSecret": "p3"}, {"Authorization": "Bearer p4"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"password": 5}}
    assert masked(body) == {
        "userName": "a@b.c", "password": "[masked]", "Password": "[masked]",
        "x": [{"clientSecret": "[masked]"}, {"Authorization": "[masked]"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"password": "[masked]"}}


def test_a_patch_on_the_password_path_masks_its_value():
    ops = {"Operations": [
        {"op": "replace", "path": "password", "value": "p1"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:password",
         "value": "p2"},
        {"op": "replace", "path": "displayName", "value": "Jane"},
    ]}
    assert [op["value"] for op in masked(ops)["Operations"]] == ["[masked]", "[masked]", "Jane"]


def test_tokens_and_credentials_inside_strings_keep_only_the_prefix():
    assert masked({"note": f"use {TOKEN}", "h": "Bearer abcdefghijklmnop"}) == {
        "note": "use rst_scim_a1B2c3…[masked]", "h": "Bearer [masked]"}


@pytest.mark.parametrize("raw,expected", [
    ('{"password": "hunter2", "userName": ', '{"password": "[masked]", "userName": '),
    ('{"userName": "a", "password": "hun', '{"userName": "a", "password": "[masked]"'),
    ('{"password": 12345}x', '{"password": "[masked]"}x'),
    ('{"path": "password", "value": "hunter2"', '{"path": "password", "value": "[masked]"'),
    (f"token={TOKEN}", "token=rst_scim_a1B2c3…[masked]"),
])
def test_what_is_not_json_is_masked_by_pattern(raw, expected):
    assert mask_body(raw.encode()) == (expected, False)


def test_a_long_body_is_cut_masked_and_flagged():
    body = json.dumps({"password": "hunter2", "title": "t" * 20_000}).encode()
    text, cut = mask_body(body)
    assert cut and len(text) <= BODY_LIMIT and "hunter2" not in text
    text, cut = mask_body(b'{"a": 1}', complete=False)  # only the start of the body was read
    assert (text, cut) == ('{"a": 1}', True)
    huge = b'{"title": "' + b"\xc3\xa9" * 40_000 + b'"}'
    text, cut = mask_body(huge)
    assert cut and len(text) == BODY_LIMIT


def test_every_text_is_storable():
    assert storable("a\x00b\ud800c é") == "a\\x00b\\ud800c é"
    text, _ = mask_body(b'{"userName": "\\ud800\\u0000"}')
    assert text == '{"userName": "\\ud800\\u0000"}'  # as sent: the same JSON
    text.encode("utf-8")  # no lone surrogate left


@pytest.mark.parametrize("header,shape", [
    ("", ""),
    (f"Bearer {TOKEN}", "Bearer rst_scim_a1B2c3…"),
    (f"Bearer Bearer {TOKEN}", "Bearer Bearer rst_scim_a1B2c3…"),
    (f"bearer  {TOKEN}  trailing", "bearer rst_scim_a1B2c3… [masked]"),
    (TOKEN, "rst_scim_a1B2c3…"),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic [masked]"),
    ("Bearer hunter2", "Bearer [masked]"),
    ("a b c d e f g h", "[masked] [masked] [masked] [masked] [masked] [masked] …"),
])
def test_the_authorization_header_keeps_only_its_shape(header, shape):
    assert mask_authorization(header) == shape


def test_a_token_is_found_in_a_header_only_when_shaped_like_ours():
    assert token_in(f"Bearer Bearer {TOKEN}") == TOKEN
    assert token_in("Bearer xrst_scim_a1B2c3xxxx") == ""
    assert token_in("Bearer rst_scim_a1B") == ""


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["Bearer abcdefghijklmnop", TOKEN, "pass", "SECRET-ish", "BaSiC x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=8) | st.sampled_from(["password", "PassWord", "path", "value",
                                                "clientSecret", "authorization"]),
        inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(doc=_json, ascii_only=st.booleans())
def test_a_body_left_unwalked_is_one_masking_would_not_change(doc, ascii_only):
    """The shortcut (a body with no trigger word is not walked) never skips a mask."""
    text = json.dumps(doc, ensure_ascii=ascii_only)
    if _nothing_to_mask(text):
        assert mask_json(json.loads(text)) == json.loads(text)


@pytest.mark.parametrize("text", [
    '{"pass\\u0077ord": "x"}', '{"a": "Bearer abcdefghijklmn"}', f'{{"a": "{TOKEN}"}}',
    '{"path": "PASSWORD", "value": "x"}',
])
def test_a_body_with_a_trigger_or_an_escape_is_walked(text):
    assert not _nothing_to_mask(text)
    assert mask_json(json.loads(text)) != json.loads(text)
