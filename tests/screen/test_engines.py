"""The engine settings, checked without starting DuckDB or Spark."""

from __future__ import annotations

import pytest

from lowalp.screen.engines import LOOPBACK, is_local_master, spark_config

LOCAL = [None, "", "local", "local[*]", "local[1]", "local[16]", "local[4,2]"]
REMOTE = ["spark://head:7077", "yarn", "k8s://https://k8s.example:6443", "mesos://m:5050"]


@pytest.mark.parametrize("master", LOCAL)
def test_local_masters_bind_the_driver_to_loopback(master: str | None) -> None:
    config = spark_config(master)
    assert is_local_master(master)
    assert config["spark.master"] == (master or "local[*]")
    assert config["spark.driver.host"] == LOOPBACK
    assert config["spark.driver.bindAddress"] == LOOPBACK


@pytest.mark.parametrize("master", REMOTE)
def test_remote_masters_keep_sparks_driver_address(master: str) -> None:
    config = spark_config(master)
    assert not is_local_master(master)
    assert config["spark.master"] == master
    assert "spark.driver.host" not in config
    assert "spark.driver.bindAddress" not in config


@pytest.mark.parametrize("master", ["localhost", "local[]", "local[x]", "local-cluster[2,1,1024]"])
def test_lookalikes_are_not_local(master: str) -> None:
    assert not is_local_master(master)


def test_settings_do_not_depend_on_the_master() -> None:
    shared = {
        "spark.app.name": "lowalp-screen",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": "3g",
        "spark.sql.shuffle.partitions": "8",
        "spark.ui.enabled": "false",
        "spark.sql.ansi.enabled": "false",
    }
    for master in (*LOCAL, *REMOTE):
        config = spark_config(master)
        assert {k: config[k] for k in shared} == shared


def test_a_memory_limit_that_is_no_size_names_the_option() -> None:
    from lowalp.errors import InputError
    from lowalp.screen.engines import connect

    with pytest.raises(InputError) as err:
        connect("duckdb", memory_limit="lots")
    assert "--memory-limit" in str(err.value)
    con = connect("duckdb", memory_limit="512MB")
    assert con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0].endswith("MiB")
