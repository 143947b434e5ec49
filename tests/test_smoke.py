def test_me(client, tenant):
    r = client.get("/auth/me", headers=tenant.headers())
    assert r.status_code == 200, r.text
    assert r.json()["tenantId"] == str(tenant.id)
