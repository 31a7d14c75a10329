from prep.cli import cli

cli()
