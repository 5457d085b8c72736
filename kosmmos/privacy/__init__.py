"""Personal data (152-FZ): find a person, export what is held, anonymise; retention."""
