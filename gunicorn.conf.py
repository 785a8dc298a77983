"""gunicorn settings for every start (make run, the container, bench/harness.py): gunicorn reads this file
from the working directory by itself.

Request limits (issue 12, finding 9). gunicorn answers what it refuses before the app sees it, with a plain
HTML 400, so its limits sit above the app's: a request line may be up to 8190 bytes (gunicorn's maximum;
0 would mean unlimited, which a proxy-less server should not allow), and the app answers URLs longer than
MAX_URL_LENGTH (4096) with 414 in the JSON envelope. Only a request line over 8190 bytes, more than 100
header fields or a header field over 8190 bytes still gets gunicorn's plain 400: the server cannot parse
such a request at all. A JWT (~400 bytes) or the staff cookie is far below the header limit.
"""

limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
