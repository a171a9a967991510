import pytest

from accounts.scope import usable_token_scopes
from accounts.services import create_token


@pytest.fixture
def bearer():
    def make(admin, scopes=None):
        # By default the read and write scopes, those of them the admin's role can use.
        if scopes is None:
            scopes = sorted({"read", "write"} & usable_token_scopes(admin.role))
        _token, raw = create_token(admin=admin, scopes=scopes)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make
