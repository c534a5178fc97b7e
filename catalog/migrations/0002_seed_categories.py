"""The category tree buyers browse, in English and Simplified Chinese."""

from django.db import migrations

TREE = [
    ("food", "Food and beverages", "食品饮料", [
        ("maple-syrup", "Maple syrup and sweeteners", "枫糖浆与甜味剂"),
        ("cheese-dairy", "Cheese and dairy", "奶酪与乳制品"),
        ("snacks", "Snacks and jerky", "零食与肉干"),
        ("nuts-dried-fruit", "Nuts and dried fruit", "坚果与果干"),
        ("coffee-tea", "Coffee and tea", "咖啡与茶"),
        ("honey-jams", "Honey and jams", "蜂蜜与果酱"),
        ("sauces-spices", "Sauces and spices", "酱料与香料"),
        ("grains-baking", "Grains and baking", "谷物与烘焙"),
    ]),
    ("health", "Vitamins and supplements", "维生素与保健品", [
        ("vitamins", "Vitamins", "维生素"),
        ("fish-oil", "Fish oil and omega-3", "鱼油与欧米伽3"),
        ("probiotics", "Probiotics", "益生菌"),
        ("protein", "Protein and sports nutrition", "蛋白粉与运动营养"),
        ("herbal", "Herbal supplements", "草本保健品"),
    ]),
    ("beauty", "Beauty and personal care", "美妆个护", [
        ("skincare", "Skincare", "护肤"),
        ("hair-care", "Hair care", "护发"),
        ("bath-body", "Bath and body", "沐浴与身体护理"),
        ("makeup", "Makeup", "彩妆"),
    ]),
    ("baby", "Baby and kids", "母婴用品", [
        ("baby-food", "Baby food and formula", "婴儿食品与奶粉"),
        ("baby-care", "Baby care", "婴儿护理"),
        ("toys", "Toys and learning", "玩具与早教"),
        ("kids-clothing", "Kids' clothing", "童装"),
    ]),
    ("outdoor", "Outdoor and sports", "户外运动", [
        ("camping", "Camping and hiking", "露营与徒步"),
        ("fishing", "Fishing", "钓鱼"),
        ("fitness", "Fitness", "健身"),
        ("cycling", "Cycling", "骑行"),
    ]),
    ("apparel", "Apparel and accessories", "服装配饰", [
        ("knitwear", "Knitwear", "针织服装"),
        ("outerwear", "Outerwear", "外套"),
        ("tops", "T-shirts and tops", "T恤与上衣"),
        ("leather-goods", "Leather goods", "皮具"),
        ("socks", "Socks", "袜子"),
    ]),
    ("home", "Home and kitchen", "家居厨房", [
        ("cookware", "Cookware", "炊具"),
        ("tableware", "Tableware and ceramics", "餐具与陶瓷"),
        ("home-decor", "Home decor", "家居装饰"),
        ("candles", "Candles and fragrance", "蜡烛与香氛"),
    ]),
    ("pet", "Pet supplies", "宠物用品", [
        ("pet-food", "Pet food and treats", "宠物食品与零食"),
        ("pet-accessories", "Pet accessories", "宠物配件"),
    ]),
    ("electronics", "Consumer electronics", "消费电子", [
        ("audio", "Audio", "音频设备"),
        ("phone-accessories", "Phone accessories", "手机配件"),
        ("smart-home", "Smart home", "智能家居"),
    ]),
    ("tools", "Tools and hardware", "工具五金", [
        ("hand-tools", "Hand tools", "手动工具"),
        ("power-tools", "Power tools", "电动工具"),
    ]),
]


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for position, (slug, name_en, name_zh, children) in enumerate(TREE):
        parent, _ = Category.objects.update_or_create(
            slug=slug,
            defaults={"name_en": name_en, "name_zh_hans": name_zh, "position": position},
        )
        for child_position, (child_slug, child_en, child_zh) in enumerate(children):
            Category.objects.update_or_create(
                slug=child_slug,
                defaults={
                    "parent": parent,
                    "name_en": child_en,
                    "name_zh_hans": child_zh,
                    "position": child_position,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
