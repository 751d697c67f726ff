from hotpatrol.cli import main

main()
