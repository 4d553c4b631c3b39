SECRET_KEY = "test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djangoproj.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
USE_TZ = True
