from videoscout.cli.main import run

run()
