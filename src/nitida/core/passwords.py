"""Which passwords are accepted (NIST SP 800-63B, section 5.1.1.2).

At least 12 characters (code points, as typed: never trimmed, never
truncated), at most 128; not the user's own e-mail address (or its part before
the @); and not guessable from the lists and patterns of zxcvbn (pinned): its
30,000 most common passwords, dictionary words, repeats, sequences and
keyboard walks, the e-mail counting as a known word. No composition rules:
a long passphrase of lowercase words is fine.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn scores 0-4; 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_SCORE = 3
# zxcvbn refuses to rate more than 72 characters; the beginning of a longer one is what is rated.
_RATED_CHARACTERS = 72


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why ``password`` is refused, or None when it is accepted."""
    if len(password) < MIN_LENGTH:
        return f"must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must have at most {MAX_LENGTH} characters"
    own = []
    if email:
        own = [email.casefold(), email.casefold().partition("@")[0]]
        if password.casefold() in own:
            return "must not be your e-mail address"
    rating = zxcvbn(password[:_RATED_CHARACTERS], user_inputs=own)
    if rating["score"] < MIN_SCORE:
        return "is too easy to guess (a common password, a word list entry or a pattern); try a longer passphrase"
    return None


def check_password(password: str, email: str | None = None) -> str:
    """``password`` unchanged, or ValueError saying why it is refused."""
    problem = password_problem(password, email)
    if problem is not None:
        raise ValueError(problem)
    return password
