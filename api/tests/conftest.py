import pytest

from accounts.services import create_token


@pytest.fixture
def bearer():
    def make(admin, scopes=("read", "write")):
        _token, raw = create_token(admin=admin, scopes=scopes)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make
