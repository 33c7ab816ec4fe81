from chainpolicy.cli import main

main()
