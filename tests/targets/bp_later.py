"""A module the bp_jobs target imports only when asked, for breakpoints set before it is loaded."""


def greet(name):
    message = f"hello {name}"  # @later-greet
    return message
