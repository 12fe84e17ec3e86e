"""MSP reports for managers and the Safeguarding Adults Board."""
