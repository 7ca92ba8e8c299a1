def main() -> None:
    print("leadscore")
