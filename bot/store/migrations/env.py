"""Alembic environment: the URL comes from the caller's Config, never a file."""
from alembic import context

from bot.store.db import hold_schema_lock, make_engine
from bot.store.models import Base

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            hold_schema_lock(connection)
            context.run_migrations()
    engine.dispose()


run_migrations()
