"""The server-side captcha."""

from nutera import captcha


def test_right_answer_passes_once(app):
    with app.test_request_context():
        image = captcha.new_challenge("cek")
        assert image.startswith("data:image/png;base64,")
        answer = app.config["LAST_CAPTCHA_ANSWER"]
        assert captcha.check_answer("cek", answer.lower())
        assert not captcha.check_answer("cek", answer)  # used up


def test_wrong_answer_fails_and_uses_up_the_challenge(app):
    with app.test_request_context():
        captcha.new_challenge("cek")
        answer = app.config["LAST_CAPTCHA_ANSWER"]
        assert not captcha.check_answer("cek", "XXXXX")
        assert not captcha.check_answer("cek", answer)


def test_answer_is_not_readable_from_the_session(app):
    from flask import session

    with app.test_request_context():
        captcha.new_challenge("pengaduan")
        answer = app.config["LAST_CAPTCHA_ANSWER"]
        assert answer not in str(dict(session))
        assert not captcha.check_answer("cek", answer)  # bound to its purpose
