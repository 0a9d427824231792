# The user admin, with each user's images and upload limit, is gallery/admin.py.
