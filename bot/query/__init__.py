"""Questions: parsing them, the index that answers them, and the answer in words."""
